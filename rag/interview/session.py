"""One mock interview: ask, grade at once, stream feedback and a follow-up, schedule, summarise.

No UI code: the Gradio app and ``coach interview`` both drive ``Interview.respond`` and render
its events.  Every main answer is written to the progress store before feedback starts.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ingest.models import QuestionItem
from rag.interview.feedback import (FEEDBACK_PROMPT, FeedbackSplitter, feedback_grammar, feedback_inputs,
                                   feedback_opening, fixed_messages, grounded_followup, missed_point_question)
from rag.pace import Prefiller, whole_words
from rag.llm.factory import with_grammar
from rag.interview.delivery import Delivery, delivery
from rag.interview.bands import FAILED_VERDICTS, WEAK_BELOW, band
from rag.interview.levels import LEVELS, level_of, rank
from rag.interview.report import save_report, session_report
from rag.interview.grading import Grade, accept_point, grade_answer
from rag.interview.keypoints import split_key_points
from rag.prompts import build_blocks, format_notes
from rag.speech.jargon import DELIVERY_TERMS, Vocabulary, question_terms, technical_terms
from rag.speech.types import Transcript
from rag.streaming import text_deltas
from rag.vectors import embed_unit


@dataclass
class Turn:
    item: QuestionItem
    question: str
    points: list[str]
    sources: list[str]  # citation (heading path) of each point
    followup: bool = False
    origin: str = "plan"  # "plan" (from the question bank), "model" (the chat model's follow-up) or "fallback"
    revealed: int = 0  # hints given
    grade: Grade | None = None
    answer: str = ""  # what the candidate said
    feedback: str = ""  # what the interviewer said back
    outcome: str = ""  # "answered", "skipped", "shown" (the notes' answer was asked for); "" if never reached
    notes: str = ""  # the numbered notes the feedback is based on (retrieved when the question is asked)
    asked_at: float = 0.0  # time.monotonic() when the question was shown
    seconds: float | None = None  # how long the candidate took to answer
    delivery: Delivery | None = None  # how a spoken answer was said (rag.interview.delivery)

    @property
    def level(self) -> str | None:
        """The question's level from the headings above it (``rag.interview.levels``), or None."""
        return level_of(self.item.headings)

    @property
    def target_seconds(self) -> int:
        """About how long a spoken answer should take: 30 s, plus 15 s per key point, up to 2 minutes."""
        return min(120, 30 + 15 * len(self.points))


@dataclass
class Ask:
    text: str
    turn: Turn
    number: int
    total: int


@dataclass
class Graded:
    grade: Grade
    turn: Turn


@dataclass
class Feedback:
    text: str  # a streamed delta


@dataclass
class Info:
    text: str


@dataclass
class Summary:
    rows: list[dict]  # per topic: topic, answered, mean score
    weakest: list[str]
    due: list[dict]  # question, topic, due (ISO)
    answered: int
    mean_score: float | None
    report: str = ""  # the session report (Markdown)
    report_path: Path | None = None  # where it was saved, if a report folder was given
    skipped: int = 0  # questions skipped or shown (scheduled to come back, not in the mean)

    def text(self) -> str:
        skipped = f" ({self.skipped} skipped)" if self.skipped else ""
        if not self.answered:
            return f"Interview ended. No questions were answered{skipped}."
        lines = [f"Interview ended: {self.answered} answers, mean score {self.mean_score:.0f}/100{skipped}."]
        lines += [f"- {r['topic']}: {r['mean']:.0f}/100 over {r['answered']}" for r in self.rows]
        if self.weakest:
            lines.append("Weakest topics: " + ", ".join(self.weakest))
        return "\n".join(lines)


Event = Ask | Graded | Feedback | Info | Summary

COMMANDS = {"hint": "hint", "skip": "skip", "show answer": "show", "show": "show", "answer": "show", "end": "end",
            "quit": "end", "stop": "end", "/hint": "hint", "/skip": "skip", "/show": "show", "/end": "end"}


def parse_command(text: str) -> str | None:
    return COMMANDS.get(re.sub(r"[^\w/ ]", "", text.strip().lower()).strip())


def _first_missing(missing: list[str]) -> str:
    return f"A full answer starts with: {missing[0]}" if missing else ""


class Interview:
    def __init__(self, *, plan: list[QuestionItem], store, retriever, llm, embeddings, subject: str = "",
                 mode: str = "topics", session_id: str | None = None, report_dir: Path | None = None,
                 level: str | None = None, reserve: list[QuestionItem] | None = None,
                 vocabulary: Vocabulary | None = None) -> None:
        """``level`` makes the session adaptive: it starts at that level and, after each graded main
        answer, goes a level up (a strong answer) or down (a weak one) when the plan or ``reserve``
        (unplanned candidates, in plan order) still holds a question there; see ``_choose``."""
        self.plan, self.store, self.retriever, self.llm = list(plan), store, retriever, llm
        if level is not None:
            rank(level)  # a ValueError for an unknown level, now rather than at the first answer
        self.level = level  # the current level of an adaptive session; None: the plan order as it is
        planned = {q.qid for q in self.plan}
        self.reserve = [q for q in reserve or () if q.qid not in planned] if level is not None else []
        self.embeddings, self.subject, self.mode = embeddings, subject, mode
        self.vocabulary = vocabulary  # the notes' terms, for a spoken answer's delivery feedback
        self.report_dir = report_dir
        self.started = datetime.now(timezone.utc)
        self.turns: list[Turn] = []  # every question asked, follow-ups included, in order
        self.session_id = session_id or uuid.uuid4().hex[:12]
        self.index = -1
        self.turn: Turn | None = None
        self.results: list[tuple[QuestionItem, int]] = []
        self.finished = False
        self.prefiller = Prefiller(llm)
        topics = sorted({q.topic for q in plan})
        store.start_session(self.session_id, mode=mode, topics=topics, n_questions=len(plan))

    # --- building turns -------------------------------------------------------------------
    def _reference(self, item: QuestionItem) -> tuple[list[str], list[str]]:
        if item.answer.strip():
            points = split_key_points(item.answer)
            if points:
                return points, [item.heading] * len(points)
        return self._points_from_notes(item.question, exclude=set(item.chunk_ids))

    def _points_from_notes(self, question: str, exclude: set[str] = frozenset(), history=None) -> tuple[list[str], list[str]]:
        """Key points for a question the notes leave unanswered: from the chunks retrieved for it."""
        hits = [h for h in self.retriever.search(question, history or [], k=4).hits if h.chunk_id not in exclude][:2]
        points, sources = [], []
        for h in hits:
            for p in split_key_points(h.chunk.text, max_points=6):
                points.append(p)
                sources.append(h.chunk.heading)
        if len(points) > 6:  # keep those closest to the question
            vecs = embed_unit(self.embeddings, [question, *points])
            sims = list(vecs[1:] @ vecs[0])
            keep = sorted(sorted(range(len(points)), key=lambda i: -sims[i])[:6])
            points, sources = [points[i] for i in keep], [sources[i] for i in keep]
        return points, sources

    def _step(self) -> int:
        """+1 after a strong main answer, -1 after a weak (or failed) one, 0 otherwise: after a
        skipped or shown question, or before the first answer.  Read when the next question is
        chosen, so a disputed grade counts as regraded."""
        last = next((t for t in reversed(self.turns) if not t.followup), None)
        if last is None or last.outcome != "answered" or last.grade is None:
            return 0
        verdict = band(last.grade.score).verdict
        if last.grade.verdict in FAILED_VERDICTS or verdict == "weak":
            return -1
        return 1 if verdict == "strong" else 0

    def _choose(self) -> None:
        """Adaptive sessions: put at ``plan[index]`` the first unasked question (rest of the plan,
        then the reserve) at the level the last answer calls for (the nearest level above the
        current one after a strong answer, below it after a weak one, that still has one), else at
        the current level, else the next one in plan order.  The plan keeps its length."""
        pool = self.plan[self.index:] + self.reserve
        here, move = rank(self.level), self._step()
        wanted = (*(LEVELS[here + 1:] if move > 0 else LEVELS[:here][::-1] if move < 0 else ()), self.level)
        pick = next((i for lv in wanted for i, q in enumerate(pool) if level_of(q.headings) == lv), 0)
        item = pool.pop(pick)
        room = len(self.plan) - self.index - 1
        self.plan[self.index:] = [item, *pool[:room]]
        self.reserve = pool[room:]
        self.level = level_of(item.headings) or self.level

    def _next(self) -> Iterator[Event]:
        self.index += 1
        if self.index >= len(self.plan):
            yield from self.end()
            return
        if self.level is not None:
            self._choose()
        item = self.plan[self.index]
        points, sources = self._reference(item)
        self.turn = Turn(item, item.question, points, sources)
        self.turns.append(self.turn)
        self.turn.notes = self._feedback_notes(item.question)
        self.typing("")
        self.turn.asked_at = time.monotonic()
        yield Ask(item.question, self.turn, self.index + 1, len(self.plan))

    def start(self) -> Iterator[Event]:
        if not self.plan:
            yield Info("There are no questions to ask for that choice.")
            yield from self.end()
            return
        yield from self._next()

    def _feedback_notes(self, question: str) -> str:
        hits = self.retriever.search(question, [], k=3).hits[:2]
        return format_notes(build_blocks(hits, question, token_budget=220))

    def _inputs(self, turn: Turn, answer: str, grade: Grade | None = None) -> dict:
        if grade is None:
            return feedback_inputs(turn.question, answer, [], turn.notes, subject=self.subject, points=turn.points)
        missing = [p.point for p in grade.missing if not p.wrong]
        score = f"{grade.score}/100, {grade.verdict}" if grade.verdict else f"{grade.score}/100"
        wrong = [(p.wrong, p.point) for p in grade.wrong]
        return feedback_inputs(turn.question, answer, missing, turn.notes, score=score, subject=self.subject,
                               points=turn.points, wrong=wrong)

    def typing(self, text: str) -> bool:
        """The candidate's answer so far: process the feedback prompt up to it in the background
        (rag/pace.py).  False when there is nothing to do (a follow-up, a graded turn,
        a chat model that cannot prefill)."""
        turn = self.turn
        if self.finished or turn is None or turn.followup or turn.grade is not None:
            return False
        return self.prefiller.submit(fixed_messages(self._inputs(turn, whole_words(text))))

    # --- answering --------------------------------------------------------------------------
    def speech_prompt(self) -> str:
        """The recogniser's prompt for an answer to the current question: the notes' vocabulary
        for it ("" without a vocabulary or a question)."""
        turn = self.turn
        if self.vocabulary is None or turn is None:
            return ""
        return self.vocabulary.prompt(turn.item, turn.points)

    def answer_terms(self, turn: Turn) -> list[str]:
        """The notes' terms a spoken answer to ``turn`` is checked for: the question's own, or for a
        follow-up those of its key points."""
        if turn.followup:
            common = self.vocabulary.common if self.vocabulary else frozenset()
            return technical_terms("\n".join(turn.points), common)[:DELIVERY_TERMS]
        if self.vocabulary is not None:
            return self.vocabulary.answer_terms(turn.item, turn.points)
        return question_terms(turn.item, turn.points, (), limit=DELIVERY_TERMS)

    def respond(self, text: str, spoken: Transcript | None = None) -> Iterator[Event]:
        """Grade ``text`` (or run the command it names).  ``spoken``: the recording's transcript
        when the answer was said aloud; its timed words give the turn's delivery feedback (the text
        graded is ``text``, the transcript as the candidate left it after editing)."""
        if self.finished or self.turn is None:
            yield Info("This interview has ended. Start a new one.")
            return
        cmd = parse_command(text)
        if cmd == "end":
            yield from self.end()
        elif cmd == "hint":
            yield Info(self._hint())
        elif cmd in ("skip", "show"):
            turn = self.turn
            turn.outcome = "shown" if cmd == "show" else "skipped"
            if not turn.followup and turn.grade is None:
                self._record(turn, 0, f"({cmd})")
            if cmd == "show":
                yield Info(self._model_answer(turn))
            else:
                yield Info("Skipped: it will come back soon.")
            yield from self._next()
        else:
            yield from self._answer(text, spoken)

    def _hint(self) -> str:
        turn = self.turn
        missing = [p.point for p in turn.grade.missing] if turn.grade else turn.points
        hidden = [p for p in missing][turn.revealed:]
        if not hidden:
            return "No more hints: you have all the key points."
        turn.revealed += 1
        return f"Hint: {hidden[0]}"

    def _model_answer(self, turn: Turn) -> str:
        if turn.followup or not turn.item.answer.strip():
            body = "\n".join(f"- {p}  ({s})" for p, s in zip(turn.points, turn.sources))
        else:
            body = turn.item.answer.strip() + f"\n\n({turn.item.heading})"
        return f"Answer from your notes:\n{body}"

    def _record(self, turn: Turn, score: int, answer: str) -> None:
        self.store.record_answer(turn.item.qid, turn.item.topic, score, session_id=self.session_id,
                                 answer_text=answer, item=turn.item)
        self.results.append((turn.item, score))

    def _answer(self, text: str, spoken: Transcript | None = None) -> Iterator[Event]:
        turn = self.turn
        if spoken is not None and spoken.words:
            turn.delivery = delivery(spoken.words, self.answer_terms(turn), answer=text)
        grade = grade_answer(text, turn.question, turn.points, self.embeddings)
        for p, src in zip(grade.points, turn.sources):
            p.source = src
        turn.grade, turn.answer, turn.outcome = grade, text, "answered"
        if turn.asked_at:
            turn.seconds = round(time.monotonic() - turn.asked_at, 1)
        if not turn.followup:
            self._record(turn, grade.score, text)
        yield Graded(grade, turn)
        if turn.followup or grade.empty:
            yield from self._next()
            return
        yield from self._feedback_and_followup(turn, text, grade)

    def _feedback_and_followup(self, turn: Turn, answer: str, grade: Grade) -> Iterator[Event]:
        missing = [p.point for p in grade.missing]
        if grade.off_topic:  # nothing in it to build on: the model would find something to praise
            turn.feedback = _first_missing(missing) or "Try it again when it comes back."
            yield Feedback(turn.feedback)
            yield from self._next()
            return
        notes = turn.notes
        splitter = FeedbackSplitter()
        inputs = self._inputs(turn, answer, grade)
        generate = FEEDBACK_PROMPT | with_grammar(self.llm, feedback_grammar(feedback_opening(grade)))
        for delta in text_deltas(generate.stream(inputs)):
            out = splitter.feed(delta)
            if out:
                turn.feedback += out
                yield Feedback(out)
        rest = splitter.finish()
        if rest:
            turn.feedback += rest
            yield Feedback(rest)
        question, origin = splitter.followup, "model"
        if not grounded_followup(question, " ".join([notes, turn.question, *missing])):
            question, origin = (missed_point_question(missing[0]) if missing else ""), "fallback"
        if not question:
            yield from self._next()
            return
        points, sources = self._points_from_notes(question, history=[turn.question])
        self.turn = Turn(turn.item, question, points, sources, followup=True, origin=origin)
        self.turns.append(self.turn)
        self.turn.asked_at = time.monotonic()
        yield Ask(question, self.turn, self.index + 1, len(self.plan))

    # --- disputes ---------------------------------------------------------------------------
    def disputable(self) -> list[tuple[int, str]]:
        """(index, point) of the current question's graded main answer that were missed: what the
        candidate may dispute.  Not points it was found to contradict (what was said is on the
        card, beside the note), and not an answer graded off-topic or too short."""
        turn = self._last_graded()
        if turn is None or turn.grade.verdict in FAILED_VERDICTS:
            return []
        return [(i, p.point) for i, p in enumerate(turn.grade.points) if not p.covered and not p.wrong]

    def _last_graded(self) -> Turn | None:
        """The main turn of the question being asked (its follow-up included), once answered."""
        turn = next((t for t in reversed(self.turns) if not t.followup), None)
        if self.finished or turn is None or turn.grade is None or turn.outcome != "answered":
            return None
        return turn

    def dispute(self, index: int) -> tuple[Turn, int, int]:
        """Accept "I did cover that" for point ``index`` of the last graded main answer: the grade,
        the summary and the FSRS card follow, and the dispute is stored.  Returns (turn, old, new)."""
        turn = self._last_graded()
        if turn is None or index not in {i for i, _ in self.disputable()}:
            raise ValueError("there is no such missed point to dispute")
        old = turn.grade.score
        turn.grade = accept_point(turn.grade, index)
        self.store.dispute(turn.item.qid, turn.grade.points[index].point, turn.grade.score, question=turn.question)
        self.results = [(it, turn.grade.score if it is turn.item else s) for it, s in self.results]
        return turn, old, turn.grade.score

    # --- the end ------------------------------------------------------------------------------
    def end(self) -> Iterator[Event]:
        if self.finished:
            return
        self.finished = True
        self.store.end_session(self.session_id)
        answered = {t.item.qid for t in self.turns if not t.followup and t.outcome == "answered"}
        by_topic: dict[str, list[int]] = {}
        for item, score in self.results:
            if item.qid in answered:  # a skipped or shown question is scheduled, not averaged
                by_topic.setdefault(item.topic, []).append(score)
        rows = sorted(({"topic": t, "answered": len(s), "mean": sum(s) / len(s)} for t, s in by_topic.items()),
                      key=lambda r: r["mean"])
        weakest = [r["topic"] for r in rows if r["mean"] < WEAK_BELOW][:3]
        due = []
        for item, _ in self.results:
            when = self.store.card_due(item.qid)
            due.append({"question": item.question, "topic": item.topic, "due": when.isoformat(timespec="minutes") if when else None})
        scores = [s for item, s in self.results if item.qid in answered]
        summary = Summary(rows, weakest, sorted(due, key=lambda d: d["due"] or ""), len(scores),
                          sum(scores) / len(scores) if scores else None, skipped=len(self.results) - len(scores))
        summary.report = session_report(self.turns, summary, self.started, self.subject)
        if self.report_dir is not None and self.turns:
            try:
                summary.report_path = save_report(summary.report, self.report_dir, self.started, self.session_id)
            except OSError as e:  # a full or read-only data folder must not lose the summary
                yield Info(f"The session report could not be saved in {self.report_dir}: {e.strerror or e}")
        yield summary
