"""The `coach` CLI through its real entry point (typer ``app``), with fakes passed in ``obj``:
output shapes, settings sources, and one-line errors instead of tracebacks."""

from __future__ import annotations

import functools
import json
import re

import pytest
from langchain_core.language_models import BaseChatModel
from typer.testing import CliRunner

from conftest import ANSWER, FAKE_SCALE, ROOT, CannedChat, FakeEmbeddings, on_topic_answer
from core.errors import ChatModelError
from rag.services import build_services
from ui.cli import app

runner = CliRunner()

CANARY = "How does a canary deployment work?"


class Fakes:
    """The services factory handed to the CLI as ``obj``: fake embeddings and a chat model shared
    by every command of a test, and a count of the ingests the commands ran."""

    def __init__(self, chat: BaseChatModel | None = None, dim: int = 4096) -> None:
        self.embeddings = FakeEmbeddings(dim=dim)
        self.chat = chat if chat is not None else CannedChat()
        self.services: list = []
        self.ingests = 0

    def __call__(self, settings):
        services = build_services(settings, embeddings=self.embeddings, chat_model=self.chat)
        real_ingest = services.ingest

        def counting_ingest(**kwargs):
            self.ingests += 1
            return real_ingest(**kwargs)

        services.ingest = counting_ingest
        self.services.append(services)
        return services

    @property
    def last(self):
        return self.services[-1]


def invoke(args: list[str], fakes: Fakes | None = None, **kwargs):
    return runner.invoke(app, args, obj=fakes if fakes is not None else Fakes(), **kwargs)


def ok(result):
    assert result.exit_code == 0, result.output
    assert result.exception is None, result.exception
    return result


def flat(text: str) -> str:
    """Output with rich's line wrapping undone."""
    return " ".join(text.split())


@pytest.fixture
def env(monkeypatch, tmp_path, small_corpus):
    """Settings from COACH_* variables only; the working directory (where coach.toml is read) is a
    fresh folder, and eval reports go there instead of evals/reports/."""
    from evals import report

    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    for name in ("COACH_CONFIG", "COACH_K", "COACH_LLM_PROVIDER", "COACH_LOCAL_MODEL", "COACH_MODEL_PATH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COACH_CORPUS_DIR", str(small_corpus))
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path / "data"))
    for name, value in FAKE_SCALE.items():  # fake embeddings' cosines are low
        monkeypatch.setenv(f"COACH_{name.upper()}", str(value))
    monkeypatch.setattr(report, "write_report", functools.partial(report.write_report, root=tmp_path / "reports"))
    return work


def _one_line_error(result) -> str:
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)  # not an uncaught exception
    assert "Traceback" not in result.output
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith("error:"), result.output
    lines = [l for l in result.output.splitlines() if l.strip()]
    # stdout and stderr mixed as a terminal shows them: the error is the last line, and the only one
    # (`chat` shows it after its "coach> " prompt: see the report)
    assert lines[-1].endswith(error) and sum("error:" in l for l in lines) == 1, result.output
    return error


# --- ingest ----------------------------------------------------------------------------------
SUMMARY = re.compile(r"(\d+) files, (\d+) chunks \(added (\d+), updated (\d+), deleted (\d+), unchanged (\d+); "
                     r"embedded (\d+)\), (\d+) questions in the bank, \d+\.\d\d s")


def test_ingest_summary_line_then_json_embeds_only_what_changed(env, small_corpus):
    fakes = Fakes()
    r = ok(invoke(["ingest"], fakes))
    m = SUMMARY.search(flat(r.stdout))
    assert m, r.stdout
    files, chunks, added, updated, deleted, unchanged, embedded, questions = map(int, m.groups())
    assert files == 2 and chunks > 10 and added == embedded == chunks and updated == deleted == unchanged == 0
    assert questions == len(fakes.last.question_bank()) > 0
    assert fakes.embeddings.calls == embedded  # the summary counts what was really embedded

    # unchanged notes: nothing embedded; stdout is the JSON object alone
    summary = json.loads(ok(invoke(["ingest", "--json"], fakes)).stdout)
    assert {"files", "chunks", "added", "updated", "deleted", "unchanged", "embedded", "questions", "seconds",
            "version", "warnings"} <= set(summary)
    assert (summary["files"], summary["chunks"], summary["questions"]) == (files, chunks, questions)
    assert summary["embedded"] == summary["added"] == 0 and summary["unchanged"] == chunks
    assert fakes.embeddings.calls == embedded

    # a note removed: its chunks are deleted, nothing is embedded
    (small_corpus / "003_eba972981bf49b22.txt").unlink()
    summary = json.loads(ok(invoke(["ingest", "--json"], fakes)).stdout)
    assert summary["files"] == 1 and summary["deleted"] > 0 and summary["embedded"] == 0
    assert summary["chunks"] == chunks - summary["deleted"] == summary["unchanged"]


def test_ingest_corpus_flag_overrides_the_setting(env, tmp_path):
    from conftest import make_corpus

    other = make_corpus(tmp_path / "other", names=("004_acdbecc340a2dbb9.txt",))
    summary = json.loads(ok(invoke(["ingest", "--corpus", str(other), "--json"])).stdout)
    assert summary["files"] == 1


def test_a_damaged_store_is_an_error_line_naming_rebuild_which_repairs_it(env, tmp_path):
    fakes = Fakes()
    first = json.loads(ok(invoke(["ingest", "--json"], fakes)).stdout)
    store = tmp_path / "data" / "chroma" / "chroma.sqlite3"
    store.write_bytes(store.read_bytes()[:50_000])  # a half-written file
    r = invoke(["ingest"], fakes)
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert "error: the index in" in flat(r.stderr) and "run `coach ingest --rebuild`" in flat(r.stderr)
    again = json.loads(ok(invoke(["ingest", "--rebuild", "--json"], fakes)).stdout)
    assert again["embedded"] == again["chunks"] == first["chunks"]


# --- retrieve --------------------------------------------------------------------------------
def test_retrieve_text_and_json_show_the_same_hits(env):
    fakes = Fakes()
    hits = json.loads(ok(invoke(["retrieve", "What is a model registry?", "--json", "--k", "3"], fakes)).stdout)
    assert len(hits) == 3 and {"file", "heading", "text", "score", "vector_score", "chunk_id"} <= set(hits[0])
    assert "What is a model registry?" in hits[0]["heading"]
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)

    text = ok(invoke(["retrieve", "What is a model registry?", "--k", "3"], fakes)).stdout
    assert re.search(r"^[\d.]+ ms; best cosine \d\.\d\d \(covered\)", text), text
    shown = flat(text)
    assert len(re.findall(r"\(rrf [\d.]+, cos [-\d.]+\)", shown)) == 3, text
    where = [shown.find(f"{i}. {flat(h['heading'])} (rrf {h['score']:.4f}, cos {h['vector_score']:.2f})")
             for i, h in enumerate(hits, start=1)]
    assert -1 not in where and where == sorted(where), text


def test_retrieve_builds_the_index_on_first_use(env):
    fakes = Fakes()
    r = ok(invoke(["retrieve", "What is a model registry?", "--json"], fakes))
    assert "not indexed yet" in r.stderr and fakes.ingests == 1
    assert len(json.loads(r.stdout)) == 5  # COACH_K's default
    ok(invoke(["retrieve", "What is a model registry?", "--json"], fakes))
    assert fakes.ingests == 1  # built once, not on every command


def test_retrieve_batch_one_json_line_per_question(env, tmp_path):
    fakes = Fakes()
    batch = tmp_path / "q.jsonl"
    batch.write_text(json.dumps({"question": "What is a model registry?"}) + "\n\n"
                     + json.dumps({"question": "and why?", "history": ["What is a model registry?"]}) + "\n")
    r = ok(invoke(["retrieve", "--batch", str(batch), "--json"], fakes))
    rows = [json.loads(l) for l in r.stdout.splitlines()]  # every stdout line is one JSON object
    assert [row["question"] for row in rows] == ["What is a model registry?", "and why?"]
    single = json.loads(ok(invoke(["retrieve", "What is a model registry?", "--json"], fakes)).stdout)
    assert [h["chunk_id"] for h in rows[0]["hits"]] == [h["chunk_id"] for h in single]
    # the follow-up is searched with its history: it finds the registry notes, alone it would not
    assert "model registry" in rows[1]["hits"][0]["heading"].lower()
    alone = json.loads(ok(invoke(["retrieve", "and why?", "--json"], fakes)).stdout)
    assert [h["chunk_id"] for h in alone] != [h["chunk_id"] for h in rows[1]["hits"]]


@pytest.mark.parametrize("lines, where", [
    (["not json"], "bad.jsonl:1"),
    ([json.dumps({"question": "What is MLOps?"}), json.dumps({"q": "no question key"})], "bad.jsonl:2"),
    ([json.dumps(["a", "list"])], "bad.jsonl:1"),
])
def test_bad_batch_line_names_file_and_line(env, tmp_path, lines, where):
    batch = tmp_path / "bad.jsonl"
    batch.write_text("\n".join(lines) + "\n")
    r = invoke(["retrieve", "--batch", str(batch), "--json"])
    line = _one_line_error(r)
    assert where in line and "'question'" in line
    assert "{" not in r.stdout  # nothing printed for the good lines before the bad one


def test_retrieve_without_question_or_batch_is_an_error(env):
    assert "QUESTION" in _one_line_error(invoke(["retrieve"]))


# --- ask and chat ----------------------------------------------------------------------------
def test_ask_json_answer_sources_and_timings(env):
    fakes = Fakes()
    r = ok(invoke(["ask", CANARY, "--json"], fakes))
    a = json.loads(r.stdout)
    assert a["question"] == CANARY and a["covered"] is True
    assert a["answer"] == ANSWER and a["cited"] == [1, 2]
    assert [s["n"] for s in a["sources"]] == list(range(1, len(a["sources"]) + 1)) and len(a["sources"]) >= 2
    # the sources are the notes retrieved for the question, in rank order
    hits = json.loads(ok(invoke(["retrieve", CANARY, "--json", "--k", "4"], fakes)).stdout)
    ids = [h["chunk_id"] for h in hits]
    assert [s["chunk_id"] for s in a["sources"]] == sorted((s["chunk_id"] for s in a["sources"]), key=ids.index)
    assert all(s["text"] and s["heading"] for s in a["sources"])
    # and they are what the model was given, numbered
    assert "[1]" in fakes.chat.last_prompt and "[2]" in fakes.chat.last_prompt
    timings = a["timings"]
    assert {"retrieval_ms", "first_token_ms", "total_ms", "prompt_tokens", "completion_tokens"} <= set(timings)
    assert 0 < timings["retrieval_ms"] <= timings["first_token_ms"] <= timings["total_ms"]
    assert timings["completion_tokens"] > 0 and fakes.chat.calls == 1


def test_ask_prints_the_answer_then_the_cited_sources(env):
    fakes = Fakes()
    a = json.loads(ok(invoke(["ask", CANARY, "--json"], fakes)).stdout)
    text = ok(invoke(["ask", CANARY], fakes)).stdout
    assert flat(text).startswith(ANSWER)
    for s in a["sources"][:2]:
        assert f"[{s['n']}] {s['heading']}" in flat(text)


def test_chat_answers_lists_sources_and_keeps_the_history(env):
    fakes = Fakes()
    sources = json.loads(ok(invoke(["ask", CANARY, "--json"], fakes)).stdout)["sources"]
    fakes.chat.calls = 0
    r = ok(invoke(["chat"], fakes, input=f"{CANARY}\n\nand how do you roll it back?\nexit\nnever asked\n"))
    out = flat(r.stdout)
    assert out.count("coach> " + ANSWER) == 2
    for s in sources[:2]:  # the cited ones, [1] and [2]
        assert f"[{s['n']}] {s['heading']}" in out
    assert fakes.chat.calls == 2  # the empty line was skipped and 'exit' ended the session
    assert f"Earlier question: {CANARY}" in fakes.chat.last_prompt  # the second turn knew the first


def test_chat_ends_at_end_of_input(env):
    fakes = Fakes()
    r = ok(invoke(["chat"], fakes, input=f"{CANARY}\n"))
    assert "coach> " + ANSWER in flat(r.stdout) and fakes.chat.calls == 1


# --- interview -------------------------------------------------------------------------------
def test_interview_one_question_score_feedback_followup_and_summary(env):
    fakes = Fakes()
    topic = "Tools & Pipelines"
    ok(invoke(["ingest"], fakes))
    items = [q for q in fakes.last.question_bank() if q.topic == topic]
    answer = ". ".join(on_topic_answer(q) for q in items)  # on topic whichever of them is asked
    r = ok(invoke(["interview", "--count", "1", "--topic", topic], fakes, input=answer + "\n"))
    out = flat(r.stdout)
    assert re.search(r"interviewer \(question 1/1, [^)]+\): \S", out), out
    m = re.search(r"score (\d+)/100 \((no answer|off-topic|too short|weak|partial|good|strong)\) \S", out)
    assert m, out
    assert "Good start." in out  # the canned feedback, streamed
    assert re.search(r"interviewer \(follow-up, [^)]+\): What else do your notes say about", out), out
    # end of input ends the interview with its summary
    summary = re.search(r"Interview ended: 1 answers, mean score (\d+)/100\.", out)
    assert summary and summary.group(1) == m.group(1), out
    assert re.search(r"comes back \S+: ", out), out
    assert m.start() < out.index("Good start.") < out.index("follow-up,") < out.index("Interview ended")
    # the answer was recorded
    assert [h["score"] for h in fakes.last.progress_store.history()] == [int(m.group(1))]


def test_interview_topic_is_used_and_an_unknown_topic_is_an_error(env):
    fakes = Fakes()
    ok(invoke(["ingest"], fakes))
    topics = sorted({q.topic for q in fakes.last.question_bank()})
    r = ok(invoke(["interview", "--count", "1", "--topic", topics[-1]], fakes, input=""))
    assert f"question 1/1, {topics[-1]})" in flat(r.stdout)
    assert "Interview ended. No questions were answered." in r.stdout

    line = _one_line_error(invoke(["interview", "--topic", "Underwater basket weaving"], fakes))
    assert "unknown topic 'Underwater basket weaving'" in line and topics[0] in line


def test_interview_says_when_a_damaged_progress_db_was_moved_aside(env, tmp_path):
    fakes = Fakes()
    ok(invoke(["ingest"], fakes))
    progress = tmp_path / "data" / "progress.sqlite"
    progress.write_bytes(b"not a database " * 100)
    r = ok(invoke(["interview", "--count", "1"], fakes, input=""))
    assert re.search(r"The progress database \S+progress\.sqlite was damaged .* moved aside to "
                     r"\S+progress\.sqlite\.corrupt-\d{8}T\d{6}Z and a new, empty one was started", flat(r.output)), r.output
    assert fakes.last.progress_store.recovered_from.read_bytes() == b"not a database " * 100


def test_interview_level_starts_there_and_an_unknown_level_is_an_error(env):
    fakes = Fakes()
    ok(invoke(["ingest"], fakes))  # the small corpus: "MLOps Basics" and "Advanced Questions" name levels
    r = ok(invoke(["interview", "--count", "2", "--level", "Advanced"], fakes, input=""))
    assert "question 1/2, advanced level, Advanced Questions)" in flat(r.stdout)

    line = _one_line_error(invoke(["interview", "--level", "hard"], fakes))
    assert "unknown level 'hard'; levels: very basic, basic, intermediate, advanced" in line


# --- ui --------------------------------------------------------------------------------------
@pytest.fixture
def launched(monkeypatch):
    """``ui.app.launch`` replaced by a recorder: the app is built but not served."""
    calls = []
    monkeypatch.setattr("ui.app.launch", lambda demo, settings, **kw: calls.append((demo, settings, kw)))
    return calls


def test_ui_no_ingest_with_an_index_does_not_reingest(env, launched):
    import gradio as gr

    fakes = Fakes()
    ok(invoke(["ingest"], fakes))
    meta = fakes.last.index.meta()
    calls = fakes.embeddings.calls
    r = ok(invoke(["ui", "--no-ingest", "--port", "7999"], fakes))
    assert fakes.ingests == 1 and fakes.last.index.meta() == meta  # same version, same ingested_at
    assert fakes.embeddings.calls == calls and "Indexed" not in r.stderr
    [(demo, settings, kw)] = launched
    assert isinstance(demo, gr.Blocks) and settings.ui.port == 7999 and kw == {"inbrowser": False}
    assert "Open http://127.0.0.1:7999" in r.stderr


def test_ui_without_flag_reingests_at_start(env, launched):
    fakes = Fakes()
    ok(invoke(["ingest"], fakes))
    r = ok(invoke(["ui"], fakes))
    assert fakes.ingests == 2 and "Indexed 2 files" in flat(r.stderr) and "(embedded 0)" in r.stderr
    assert len(launched) == 1 and launched[0][1].ui.port == 7860


def test_ui_no_ingest_without_an_index_builds_it_once(env, launched):
    fakes = Fakes()
    r = ok(invoke(["ui", "--no-ingest"], fakes))
    assert fakes.ingests == 1 and fakes.last.index.built and "not indexed yet" in r.stderr
    assert len(launched) == 1


# --- eval, calibrate ---------------------------------------------------------------------------
@pytest.fixture
def real_corpus(env, monkeypatch):
    """The golden set's sources name the real notes."""
    monkeypatch.setenv("COACH_CORPUS_DIR", str(ROOT / "corpus"))
    return env


RETRIEVAL_SUMMARY = {"retrieval", "retrieval_ms_p50", "retrieval_ms_p95", "refusal_rate_out_of_scope",
                     "false_refusal_rate", "gate_refusal_rate_out_of_scope", "gate_false_refusal_rate"}


def test_eval_retrieval_only_json_summary(real_corpus, tmp_path):
    from evals.golden import load_golden

    fakes = Fakes()
    r = ok(invoke(["eval", "--retrieval-only", "--limit", "3", "--json"], fakes))
    summary = json.loads(r.stdout)
    assert set(summary) == RETRIEVAL_SUMMARY  # no generation figures without the chat model
    allr = summary["retrieval"]["all"]
    assert allr["n"] == 3 and {"hit@1", "hit@5", "mrr", "context_precision"} <= set(allr)
    assert fakes.chat.calls == 0
    [folder] = (tmp_path / "reports").iterdir()
    assert f"Report written to {folder}" in flat(r.stderr)
    report = json.loads((folder / "report.json").read_text())
    assert report["summary"] == summary and report["items"] == 3 and report["generate"] is False
    assert report["split"] == "heldout"  # the default: the part the gates read
    assert [row["id"] for row in report["rows"]] == [it["id"] for it in load_golden(split="heldout")[:3]]
    assert allr["hit@5"] == round(sum(row["hit@5"] for row in report["rows"]) / 3, 4)


def _thresholds(monkeypatch, retrieval: float, calibration: float = 0.0):
    """Replace evals/thresholds.toml (the CLI has no option for another file)."""
    t = {"retrieval": {"hit@5": retrieval, "mrr": retrieval, "gate_refusal_rate_out_of_scope": 0.0,
                       "gate_false_refusal_rate_max": 1.0},
         "generation": {"faithfulness": 0.0, "refusal_rate_out_of_scope": 0.0, "false_refusal_rate_max": 1.0},
         "calibration": {"embedding_accuracy": calibration, "llm_accuracy": calibration}}
    monkeypatch.setattr("evals.thresholds.load_thresholds", lambda *a, **k: t)


def test_eval_check_exits_1_when_a_threshold_fails(real_corpus, monkeypatch):
    fakes = Fakes()
    _thresholds(monkeypatch, retrieval=1.01)  # no run can reach it
    r = invoke(["eval", "--retrieval-only", "--limit", "3", "--json", "--check"], fakes)
    assert r.exit_code == 1 and isinstance(r.exception, SystemExit), r.output
    assert re.search(r"below threshold: hit@5 = [\d.]+ < 1.01", r.stderr) and "below threshold: mrr" in r.stderr
    assert set(json.loads(r.stdout)) == RETRIEVAL_SUMMARY  # the summary is printed all the same

    _thresholds(monkeypatch, retrieval=0.0)
    r = ok(invoke(["eval", "--retrieval-only", "--limit", "3", "--json", "--check"], fakes))
    assert "below threshold" not in r.stderr


def test_eval_unknown_kind_or_a_check_off_the_heldout_part_is_an_error(env):
    assert "unknown kinds ['nope']" in _one_line_error(invoke(["eval", "--kinds", "factual,nope"]))
    assert "held-out part only" in _one_line_error(invoke(["eval", "--retrieval-only", "--split", "tune", "--check"]))


def test_calibrate_without_llm_judge_prints_json(env, monkeypatch):
    from evals.golden import CLAIM_SETS, in_split, read_jsonl

    fakes = Fakes()
    r = ok(invoke(["calibrate", "--no-llm-judge", "--limit", "2"], fakes))
    results = json.loads(r.stdout)
    assert set(results) == {"planted", "real"} and fakes.chat.calls == 0  # both sets by default
    for name, result in results.items():
        items = in_split(read_jsonl(CLAIM_SETS[name]), "heldout")[:2]
        assert "llm" not in result and "agreement" not in result
        assert result["split"] == "heldout" and result["claims_set"] == name
        assert {"accuracy", "precision", "recall"} <= set(result["embedding"])
        assert result["claims"] == sum(len(i["claims"]) for i in items)
        assert result["unsupported_claims"] == sum(not c["supported"] for i in items for c in i["claims"])
    only = json.loads(ok(invoke(["calibrate", "--no-llm-judge", "--limit", "1", "--claims", "real"], fakes)).stdout)
    assert list(only) == ["real"]
    bad = invoke(["calibrate", "--claims", "nope"], fakes)
    assert bad.exit_code == 1 and "unknown --claims" in bad.stderr

    _thresholds(monkeypatch, retrieval=0.0, calibration=1.01)
    r = invoke(["calibrate", "--no-llm-judge", "--limit", "2", "--check"], fakes)
    assert r.exit_code == 1 and "below threshold: embedding judge accuracy" in r.stderr, r.output


# --- bench -----------------------------------------------------------------------------------
def test_bench_skip_llm_json(env):
    # ingest runs in fresh `python -m ui ingest` processes (the real embedding model); the in-process
    # retrieval uses the fakes, so their vectors must have MiniLM's 384 dimensions
    fakes = Fakes(dim=384)
    own = json.loads(ok(invoke(["ingest", "--json"], fakes)).stdout)
    r = ok(invoke(["bench", "--skip-llm", "--json"], fakes))
    figures = json.loads(r.stdout)
    assert figures["ingest_cold_chunks_embedded"] == figures["ingest_chunks"] == own["chunks"]
    assert figures["ingest_warm_chunks_embedded"] == 0
    assert figures["retrieval_queries"] == own["questions"] > 0
    bench_dir = fakes.last.settings.paths.data_dir  # a temporary data dir, removed afterwards
    assert bench_dir != fakes.services[0].settings.paths.data_dir and not bench_dir.exists()
    assert figures["retrieval_p50_ms"] <= figures["retrieval_p95_ms"]
    assert not any(key.startswith(("chain_", "raw_", "llm_")) for key in figures) and fakes.chat.calls == 0


# --- settings --------------------------------------------------------------------------------
@pytest.mark.parametrize("toml", ["[retrieval]\nk = 2\n", "k = 2\n"])
def test_coach_toml_in_the_working_directory_changes_a_setting(env, toml):
    fakes = Fakes()
    assert len(json.loads(ok(invoke(["retrieve", "What is MLOps?", "--json"], fakes)).stdout)) == 5
    (env / "coach.toml").write_text(toml)
    assert len(json.loads(ok(invoke(["retrieve", "What is MLOps?", "--json"], fakes)).stdout)) == 2


def test_settings_priority_flag_over_env_over_file(env, monkeypatch, tmp_path):
    fakes = Fakes()
    config = tmp_path / "elsewhere.toml"
    config.write_text("[retrieval]\nk = 2\n")
    monkeypatch.setenv("COACH_CONFIG", str(config))
    assert len(json.loads(ok(invoke(["retrieve", "What is MLOps?", "--json"], fakes)).stdout)) == 2
    monkeypatch.setenv("COACH_K", "3")
    assert len(json.loads(ok(invoke(["retrieve", "What is MLOps?", "--json"], fakes)).stdout)) == 3
    assert len(json.loads(ok(invoke(["retrieve", "What is MLOps?", "--json", "--k", "4"], fakes)).stdout)) == 4


# --- errors: one line, exit 1 ------------------------------------------------------------------
def test_missing_corpus(env, tmp_path):
    line = _one_line_error(invoke(["ingest", "--corpus", str(tmp_path / "nowhere")]))
    assert "nowhere" in line


def test_missing_corpus_from_the_environment_on_first_use(env, monkeypatch, tmp_path):
    monkeypatch.setenv("COACH_CORPUS_DIR", str(tmp_path / "gone"))
    assert "gone" in _one_line_error(invoke(["ask", "What is MLOps?"]))


def test_empty_corpus(env, tmp_path):
    (tmp_path / "empty").mkdir()
    assert "empty" in _one_line_error(invoke(["ingest", "--corpus", str(tmp_path / "empty")]))


def test_invalid_setting_names_it(env, monkeypatch):
    monkeypatch.setenv("COACH_K", "0")
    line = _one_line_error(invoke(["retrieve", "What is MLOps?"]))
    assert "invalid settings" in line and "k:" in line and "greater than or equal to 1" in line


def test_invalid_or_missing_settings_file(env, monkeypatch, tmp_path):
    (env / "coach.toml").write_text("k = = 2\n")
    assert "coach.toml is not valid TOML" in _one_line_error(invoke(["retrieve", "What is MLOps?"]))
    monkeypatch.setenv("COACH_CONFIG", str(tmp_path / "missing.toml"))
    assert "missing.toml (COACH_CONFIG) does not exist" in _one_line_error(invoke(["retrieve", "What is MLOps?"]))


class FailingChat(BaseChatModel):
    """A chat model whose every call fails the way a broken local model does."""

    @property
    def _llm_type(self) -> str:
        return "failing"

    def _generate(self, *a, **k):
        raise ChatModelError("the chat model refused the request: the prompt does not fit its context")

    def _stream(self, *a, **k):
        raise ChatModelError("the chat model refused the request: the prompt does not fit its context")
        yield  # a generator, like a real adapter


@pytest.mark.parametrize("args, stdin", [(["ask", CANARY], None), (["ask", CANARY, "--json"], None),
                                         (["chat"], f"{CANARY}\n")])
def test_a_model_error_is_one_line(env, args, stdin):
    r = invoke(args, Fakes(chat=FailingChat()), input=stdin)
    assert "does not fit its context" in _one_line_error(r)


def test_unreachable_endpoint(env, monkeypatch):
    monkeypatch.setenv("COACH_LLM_PROVIDER", "openai")
    monkeypatch.setenv("COACH_OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("COACH_REQUEST_TIMEOUT", "5")
    fakes = lambda s: build_services(s, embeddings=FakeEmbeddings(dim=4096))  # the real chat model adapter
    line = _one_line_error(runner.invoke(app, ["ask", "What is MLOps?"], obj=fakes))
    assert "127.0.0.1:9" in line


def test_missing_model_parts(env, monkeypatch):
    monkeypatch.setenv("COACH_LOCAL_MODEL", "qwen2.5-coder-0.5b")  # its parts are not installed
    fakes = lambda s: build_services(s, embeddings=FakeEmbeddings(dim=4096))  # the real model factory
    line = _one_line_error(runner.invoke(app, ["ask", "What is MLOps?"], obj=fakes))
    assert "pip install" in line


def test_eval_compare_prints_unchanged_and_changed_metrics(tmp_path):
    # an unchanged metric (delta 0) once crashed the table with a rich markup error
    for name, mrr in (("a", 0.8), ("b", 0.9)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "report.json").write_text(json.dumps(
            {"summary": {"retrieval": {"all": {"mrr": mrr, "hit@5": 0.97}}, "false_refusal_rate": 0.01}}))
    result = runner.invoke(app, ["eval-compare", str(tmp_path / "a"), str(tmp_path / "b")])
    assert result.exit_code == 0, result.output
    assert "retrieval.all.mrr" in result.output and "+0.1" in result.output and "+0.0" in result.output


def test_interview_report_is_written_to_the_given_file(env, tmp_path):
    fakes = Fakes()
    path = tmp_path / "session.md"
    r = ok(invoke(["interview", "--count", "1", "--report", str(path)], fakes,
                  input="A canary sends a small share of traffic to the new model.\n"))
    assert f"Report written to {path}" in flat(r.stdout)
    text = path.read_text(encoding="utf-8")
    assert "## Question 1: " in text and "> A canary sends a small share of traffic to the new model." in text
    assert "**Score " in text and "## Coming back" in text


def test_note_text_that_looks_like_markup_is_printed_as_written(env, small_corpus):
    (small_corpus / "paths.md").write_text("# Paths [/usr/bin] and [bold]\n\n### 1. Where do [red] binaries live?\n\n"
                                           "**Answer:** In [/usr/bin] and [dim]/opt[/dim].\n", encoding="utf-8")
    r = ok(invoke(["retrieve", "Where do binaries live in /usr/bin?"], Fakes()))
    out = flat(r.stdout)
    assert "Where do [red] binaries live?" in out and "In [/usr/bin] and [dim]/opt[/dim]." in out


def test_calibrate_grading_has_no_gate_to_check(env):
    line = _one_line_error(invoke(["calibrate", "--grading", "--check"], Fakes()))
    assert "--check has no gate for --grading" in line


def test_disputes_listed_and_exported_as_grading_examples(env, tmp_path):
    fakes = Fakes()
    ok(invoke(["ingest"], fakes))
    assert "No disputed grades yet." in ok(invoke(["disputes"], fakes)).stdout
    item = fakes.last.question_bank()[0]
    store = fakes.last.progress_store
    store.record_answer(item.qid, item.topic, 30, answer_text="my spoken answer", item=item)
    store.dispute(item.qid, "the point I covered", 55, question=item.question)
    target = tmp_path / "disputes.jsonl"
    r = ok(invoke(["disputes", "--export", str(target)], fakes))
    assert "30 ->  55" in r.stdout and item.question in flat(r.stdout)
    (row,) = [json.loads(line) for line in target.read_text().splitlines()]
    assert row["answer"] == "my spoken answer" and row["covers"] == ["the point I covered"] and row["score"] == 55


# --- users, and the login a network host needs ----------------------------------------------------
def test_users_add_list_remove(env, tmp_path):
    from core.users import UsersFile

    path = tmp_path / "data" / "users.json"
    r = ok(invoke(["users", "add", "Alice", "--password-stdin"], input="alice-password\n"))
    assert f"Added alice in {path}." in flat(r.stdout)
    # typed twice, hidden: the prompts show, the password does not
    r = ok(invoke(["users", "add", "bob"], input="bob-password\nbob-password\n"))
    assert "Password" in r.output and "Password again" in r.output and "bob-password" not in r.output
    assert UsersFile(path).verify("bob", "bob-password") and UsersFile(path).verify("alice", "alice-password")
    assert "alice-password" not in path.read_text() and "bob-password" not in path.read_text()
    r = ok(invoke(["users", "list"]))
    assert [line.split()[0] for line in r.stdout.splitlines()] == ["alice", "bob"] and "hash" not in r.stdout
    line = _one_line_error(invoke(["users", "add", "alice", "--password-stdin"], input="another-pw\n"))
    assert "the user 'alice' exists already" in line
    r = ok(invoke(["users", "add", "alice", "--replace", "--password-stdin"], input="another-pw\n"))
    assert "Changed the password of alice" in r.stdout and UsersFile(path).verify("alice", "another-pw")
    ok(invoke(["users", "remove", "ALICE"]))
    assert UsersFile(path).names() == ["bob"]
    assert "there is no user 'alice'" in _one_line_error(invoke(["users", "remove", "alice"]))
    ok(invoke(["users", "remove", "bob"]))
    assert "No users in" in ok(invoke(["users", "list"])).stdout


def test_users_add_refuses_bad_names_short_and_mismatched_passwords(env, tmp_path):
    assert "not a usable user name" in _one_line_error(invoke(["users", "add", "../x", "--password-stdin"], input="x" * 12))
    assert "at least 8 characters" in _one_line_error(invoke(["users", "add", "al", "--password-stdin"], input="short\n"))
    assert "no password on standard input" in _one_line_error(invoke(["users", "add", "al", "--password-stdin"], input=""))
    r = invoke(["users", "add", "al"], input="first-password\nsecond-password\n")  # then no more input
    assert r.exit_code != 0 and "do not match" in r.output
    assert not (tmp_path / "data" / "users.json").exists()


def test_users_file_setting_is_used(env, tmp_path, monkeypatch):
    monkeypatch.setenv("COACH_USERS_FILE", str(tmp_path / "elsewhere.json"))
    ok(invoke(["users", "add", "alice", "--password-stdin"], input="alice-password\n"))
    assert (tmp_path / "elsewhere.json").is_file() and not (tmp_path / "data" / "users.json").exists()


def test_ui_on_a_network_host_without_users_is_refused_before_indexing(env, launched):
    fakes = Fakes()
    line = _one_line_error(invoke(["ui", "--host", "0.0.0.0"], fakes))
    assert "the host 0.0.0.0 makes the app reachable from the network" in line
    assert "add one with `coach users add NAME`" in line
    assert launched == [] and fakes.services == []  # nothing indexed, no model loaded


def test_ui_on_a_network_host_with_a_user_says_it_needs_a_login(env, launched, tmp_path):
    ok(invoke(["users", "add", "alice", "--password-stdin"], input="alice-password\n"))
    r = ok(invoke(["ui", "--host", "0.0.0.0", "--port", "7999"], Fakes()))
    assert (f"The app is reachable from the network at 0.0.0.0:7999 and requires a login (Gradio's login page; "
            f"1 user in {tmp_path / 'data' / 'users.json'})") in flat(r.stderr)
    [(demo, settings, kw)] = launched
    assert settings.ui.host == "0.0.0.0"
    r = ok(invoke(["ui"], Fakes()))  # loopback: no login, said so
    assert "reachable from this machine only, at 127.0.0.1:7860, without a login" in flat(r.stderr)
