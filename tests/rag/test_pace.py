"""Work ahead of the candidate: the feedback prompt's fixed part is processed while they answer."""

import threading

from conftest import FAKE_SCALE, PrefillingChat, fake_chat, on_topic_answer
from core.settings import Settings
from rag.interview.feedback import ANSWER_MARK, FEEDBACK_PROMPT, feedback_inputs, fixed_messages
from rag.chain import AnswerChain
from rag.pace import Prefiller, can_prefill, cut_after, whole_words
from rag.interview.session import Feedback
from rag.services import build_services

INPUTS = feedback_inputs("What is canary deployment?", "You send a small share of traffic first", ["rollback"],
                         "[1] Canary notes", score="40/100, partial", points=["small share", "rollback"])


def _text(messages) -> str:
    return "\n".join(str(m.content) for m in messages)


def test_fixed_part_is_a_prefix_of_the_prompt_and_holds_no_answer():
    full = FEEDBACK_PROMPT.format_messages(**INPUTS)
    fixed = fixed_messages({**INPUTS, "answer": ""})
    assert len(fixed) == len(full) and fixed[-1].content.endswith(ANSWER_MARK)
    assert _text(full).startswith(_text(fixed))
    assert "small share of traffic" not in _text(fixed) and "40/100" not in _text(fixed)
    assert "[1] Canary notes" in _text(fixed) and "small share; rollback" in _text(fixed)  # notes, key points


def test_typed_text_extends_the_prefix():
    typed = fixed_messages({**INPUTS, "answer": "You send a small"})
    assert _text(typed).endswith(ANSWER_MARK + " You send a small")
    assert _text(FEEDBACK_PROMPT.format_messages(**INPUTS)).startswith(_text(typed))


class SlowPrefill:
    def __init__(self) -> None:
        self.seen, self.release, self.busy = [], threading.Event(), threading.Event()

    def prefill(self, messages):
        self.busy.set()
        self.release.wait(5)
        self.seen.append(messages)


def test_prefiller_processes_the_newest_text_and_drops_the_stale():
    llm = SlowPrefill()
    p = Prefiller(llm)
    assert p.submit(["a"])
    assert llm.busy.wait(5)  # being processed
    p.submit(["ab"])  # waiting ...
    p.submit(["abc"])  # ... replaced by this one
    llm.release.set()
    assert p.wait(5)
    assert llm.seen == [["a"], ["abc"]] and p.done == 2
    p.submit(["abc"])  # the same text again costs nothing
    assert p.wait(5) and p.done == 2


def test_a_model_that_cannot_prefill_is_left_alone():
    assert not can_prefill(fake_chat("x")) and not Prefiller(fake_chat("x")).submit(["a"])


def _interview(tmp_path, small_corpus, fake_embeddings, chat):
    services = build_services(Settings(corpus_dir=small_corpus, data_dir=tmp_path / "data", **FAKE_SCALE),
                              embeddings=fake_embeddings, chat_model=chat)
    services.ingest()
    return services.new_interview(count=1, topics=["Tools & Pipelines"])


def test_interview_prefills_at_the_question_and_while_typing(tmp_path, small_corpus, fake_embeddings):
    chat = PrefillingChat()
    iv = _interview(tmp_path, small_corpus, fake_embeddings, chat)
    ask = list(iv.start())[0]
    assert iv.prefiller.wait(5) and len(chat.prefills) == 1  # the fixed part, as soon as it is asked
    answer = on_topic_answer(ask.turn.item)
    assert iv.typing(answer[:20]) and iv.prefiller.wait(5)
    events = list(iv.respond(answer))
    assert any(isinstance(e, Feedback) for e in events)
    sent = _text(chat.prompts[-1])  # the feedback request
    for prefix in chat.prefills:
        assert sent.startswith(_text(prefix))
    assert _text(chat.prefills[-1]).endswith(" " + answer[:20].rsplit(" ", 1)[0])  # up to the last whole word
    assert not iv.typing("more text")  # graded: nothing to prefill now (the follow-up has no feedback call)


def test_off_topic_answer_gets_no_model_feedback(tmp_path, small_corpus, fake_embeddings):
    chat = PrefillingChat()
    iv = _interview(tmp_path, small_corpus, fake_embeddings, chat)
    list(iv.start())
    events = list(iv.respond("My favourite holiday was a week of sailing around Greek islands with friends."))
    grade = events[0].grade
    feedback = "".join(e.text for e in events if isinstance(e, Feedback))
    assert grade.off_topic and chat.prompts == []  # the model, which praises anything, was not asked
    assert feedback.startswith("A full answer starts with: ") and "good" not in feedback.lower()
    assert "does not address the question" in grade.message  # said once, on the score line


def test_whole_words_and_cut_after():
    from langchain_core.messages import HumanMessage, SystemMessage

    assert whole_words("how do you depl") == "how do you" and whole_words("what is  PSI?") == "what is PSI?"
    assert whole_words("") == "" and whole_words("one") == "" and whole_words("how do you ") == "how do you"
    msgs = [SystemMessage("sys"), HumanMessage("Notes:\n[1] x\n\nQuestion: how do you deploy a model")]
    assert cut_after(msgs, "Question:")[-1].content == "Notes:\n[1] x\n\nQuestion:"
    assert cut_after(msgs, "Question:", "how do you")[-1].content.endswith("Question: how do you")
    assert cut_after(msgs, "Question:", "something else")[-1].content.endswith("Question:")  # not a prefix
    assert cut_after(msgs, "Question:")[0] is msgs[0]


def test_chain_reads_ahead_the_notes_and_typed_words(fake_services):
    from conftest import PrefillingChat
    from rag.chain import AnswerChain

    chat = PrefillingChat()
    chain = AnswerChain(fake_services.settings.answer, fake_services.retriever, chat)
    assert not chain.read_ahead("how")  # one word: too early to retrieve for
    assert chain.read_ahead("How do you monitor ML models in prod") and chain.prefiller.wait(5)
    (prefix,) = chat.prefills
    assert prefix[-1].content.endswith("Question: How do you monitor ML models in")
    list(chain.stream("How do you monitor ML models in production?"))
    sent = chat.prompts[-1]
    assert sent[-1].content.startswith(prefix[-1].content)  # the same notes: the cached prefix is reused


def test_the_final_question_reuses_the_notes_read_ahead(fake_services):
    from conftest import PrefillingChat
    from rag.chain import AnswerChain

    chain = AnswerChain(fake_services.settings.answer, fake_services.retriever, PrefillingChat())
    assert chain.read_ahead("What tools are used in MLOps pipelines ")
    ahead = chain.prepare("What tools are used in MLOps pipelines")
    final = chain.prepare("What tools are used in MLOps pipelines?")
    assert final.notes_key == ahead.notes_key  # the same chunks retrieved ...
    assert final.blocks is ahead.blocks  # ... reuse the blocks read ahead, as they were cut then
    other = chain.prepare("How do you monitor ML models in production?")
    assert other.notes_key != ahead.notes_key and other.blocks != ahead.blocks


def test_a_fresh_process_warms_the_answer_prompts_instructions_and_the_answer_shares_them(fake_services):
    from rag.chain import warm_answer_prompt

    llm = PrefillingChat()
    prefiller = warm_answer_prompt(llm)
    assert prefiller.wait(5)
    (warmed,) = llm.prefills
    assert [m.type for m in warmed] == ["system"]
    chain = AnswerChain(fake_services.settings.answer, fake_services.retriever, llm)
    chain.ask("What is a model registry?")
    assert llm.prompts[-1][0].content == warmed[0].content  # the real prompt starts with what was processed
