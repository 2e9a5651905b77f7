"""The ``coach`` command line: the composition root of the terminal.

Each command loads the settings once, builds the services through a factory (``ctx.obj``, so
tests pass fakes through this real entry point: ``CliRunner().invoke(app, args, obj=factory)``)
and prints.  Every ``CoachError`` is one ``error:`` line and exit 1, never a traceback.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from core.env import set_offline_defaults
from core.errors import CoachError
from core.settings import Settings, load_settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Interview Coach: study and mock interviews from your own notes, offline.")
err = Console(stderr=True, soft_wrap=True)
out = Console()


def friendly(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except CoachError as e:
            err.print(f"[bold red]error:[/] {escape(str(e))}", highlight=False)
            raise typer.Exit(1)
        except KeyboardInterrupt:
            err.print("interrupted")
            raise typer.Exit(130)
    return wrapper


@app.callback()
def _main(ctx: typer.Context) -> None:
    set_offline_defaults()


def _services(ctx: typer.Context, settings: Settings):
    """The services for ``settings`` from the factory in ``ctx.obj`` (default: the real one)."""
    from rag.services import build_services

    factory: Callable = ctx.find_root().obj or build_services
    return factory(settings)


def announce_recovered_progress(services) -> None:
    """Say so when the progress database was damaged and moved aside on open (``ProgressStore.recovered_from``)."""
    if notice := services.progress_store.recovery_notice:
        err.print(f"[yellow]{escape(notice)}[/]", highlight=False)


def run_ingest_with_progress(services, quiet: bool = False, rebuild: bool = False):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("embedding chunks"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=err, disable=quiet, transient=True) as bar:
        task = bar.add_task("embed", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        def notify(message: str) -> None:
            bar.console.print(f"[yellow]note:[/] {escape(message)}", highlight=False)

        return services.ingest(progress=progress, notify=notify, rebuild=rebuild)


def ensure_index(services) -> None:
    """Build the store on first use instead of failing: a fresh clone just works."""
    if not services.index.built:
        err.print("The notes are not indexed yet: indexing them now.")
        run_ingest_with_progress(services)


@app.command()
@friendly
def ingest(ctx: typer.Context, corpus: Path = typer.Option(None, "--corpus", help="Notes folder (default: settings.corpus_dir)."),
           as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
           rebuild: bool = typer.Option(False, "--rebuild", help="Drop the vector store and its records first and embed every chunk again (for a damaged index; the notes and your progress are kept).")):
    """Index the notes: embeds only new or changed chunks, deletes what disappeared."""
    services = _services(ctx, load_settings(corpus_dir=corpus))
    report = run_ingest_with_progress(services, quiet=as_json, rebuild=rebuild)
    for w in report.warnings:
        err.print(f"[yellow]warning:[/] {escape(w)}")
    if as_json:
        print(json.dumps(report.to_dict()))
        return
    out.print(
        f"[bold]{report.files}[/] files, [bold]{report.chunks}[/] chunks "
        f"(added {report.added}, updated {report.updated}, deleted {report.deleted}, unchanged {report.unchanged}; "
        f"embedded {report.embedded}), {report.questions} questions in the bank, {report.seconds:.2f} s"
    )
    from ingest.injection import is_injection_warning

    if flagged := sum(map(is_injection_warning, report.warnings)):
        out.print(f"[yellow]{flagged} note(s) hold text addressed to the AI[/] (warnings above): "
                  "it is kept in the notes and left out of the prompts.")


def _read_batch(path: Path) -> list[dict]:
    items = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item.get("question"), str):
                raise ValueError("no 'question' string")
        except (ValueError, AttributeError) as e:
            raise CoachError(f"{path}:{i}: not a JSON object with a 'question': {e}") from e
        items.append(item)
    return items


@app.command()
@friendly
def retrieve(ctx: typer.Context, question: str = typer.Argument(None), k: int = typer.Option(None, "--k", min=1, max=50),
             batch: Path = typer.Option(None, "--batch", exists=True, dir_okay=False, help="JSONL with 'question' and optional 'history'."),
             as_json: bool = typer.Option(False, "--json")):
    """Show the note chunks retrieved for a question (no chat model involved)."""
    if not question and not batch:
        raise CoachError("give a QUESTION or --batch FILE")
    services = _services(ctx, load_settings())
    ensure_index(services)
    if batch:
        for item in _read_batch(batch):
            r = services.retriever.search(item["question"], item.get("history") or [], k=k)
            print(json.dumps({"question": item["question"], "hits": [h.to_dict() for h in r.hits]}, ensure_ascii=False))
        return
    r = services.retriever.search(question, [], k=k)
    if as_json:
        print(json.dumps([h.to_dict() for h in r.hits], ensure_ascii=False, indent=1))
        return
    out.print(f"[dim]{r.ms:.1f} ms; best cosine {r.best_vector:.2f} ({'covered' if r.covered else 'not covered'})[/]")
    for i, h in enumerate(r.hits, start=1):
        out.print(f"[bold]{i}.[/] [cyan]{escape(h.chunk.heading)}[/] [dim](rrf {h.score:.4f}, cos {h.vector_score:.2f})[/]")
        out.print("   " + h.chunk.text[:240].replace("\n", " ") + ("…" if len(h.chunk.text) > 240 else ""),
                  markup=False, highlight=False)


def main() -> None:
    """The ``coach`` script and ``python -m ui`` (the offline defaults are set by the app's callback)."""
    sys.exit(app())


def _print_sources(sources) -> None:
    for h in sources:
        out.print(f"  [dim]\\[{h.n}] {escape(h.chunk.heading)}[/]")


@app.command()
@friendly
def ask(ctx: typer.Context, question: str, as_json: bool = typer.Option(False, "--json")):
    """Answer one question from the notes, with citations."""
    from rag.chain import Answer, Token, warm_answer_prompt

    services = _services(ctx, load_settings())
    if services.index.built:
        warm_answer_prompt(services.chat_model)  # the model loads while the embedder does
    ensure_index(services)
    final = None
    for ev in services.chain.stream(question):
        if isinstance(ev, Token) and not as_json:
            out.print(ev.text, end="", highlight=False, markup=False)
        elif isinstance(ev, Answer):
            final = ev
    if as_json:
        print(json.dumps(final.to_dict(), ensure_ascii=False, indent=1))
    else:
        out.print()
        _print_sources([h for h in final.sources if h.n in final.cited] or final.sources)


@app.command()
@friendly
def chat(ctx: typer.Context):
    """Multi-turn questions in the terminal, streaming.  Ctrl-D or 'exit' to leave."""
    from rag.chain import Answer, Token

    services = _services(ctx, load_settings())
    ensure_index(services)
    history: list[str] = []
    out.print("[bold]Ask your notes anything[/] (exit with Ctrl-D or 'exit').")
    while True:
        try:
            q = out.input("[bold green]you>[/] ").strip()
        except EOFError:
            break
        if q.lower() in {"exit", "quit"}:
            break
        if not q:
            continue
        out.print("[bold blue]coach>[/] ", end="")
        try:
            for ev in services.chain.stream(q, history):
                if isinstance(ev, Token):
                    out.print(ev.text, end="", highlight=False, markup=False)
                elif isinstance(ev, Answer):
                    out.print()
                    _print_sources([h for h in ev.sources if h.n in ev.cited])
        except CoachError:
            out.print()  # the error line starts a line of its own
            raise
        history.append(q)


@app.command()
@friendly
def ui(ctx: typer.Context, host: str = typer.Option(None, help="Default: settings.host (127.0.0.1)."),
       port: int = typer.Option(None, help="Default: settings.port (7860)."),
       no_ingest: bool = typer.Option(False, "--no-ingest", help="Skip the incremental ingest at start.")):
    """Open the Gradio app (indexes the notes first; only changes are embedded).  A host other than
    loopback asks for a login (`coach users add NAME`)."""
    from ui.app import build_app, launch
    from ui.auth import login_plan

    settings = load_settings(host=host, port=port)
    plan = login_plan(settings)  # refused here, before minutes of indexing, if nobody can log in
    services = _services(ctx, settings)
    announce_recovered_progress(services)
    if no_ingest:
        ensure_index(services)
    else:
        report = run_ingest_with_progress(services)
        err.print(f"Indexed {report.files} files, {report.chunks} chunks (embedded {report.embedded}) in {report.seconds:.1f} s.")
    err.print("Loading the chat model…")
    services.chat_model  # load once, before the first user waits for it
    demo = build_app(settings, services)
    err.print(escape(plan.line()), highlight=False)
    err.print(f"Open http://{settings.ui.host}:{settings.ui.port}")
    launch(demo, settings, inbrowser=False)


users_app = typer.Typer(no_args_is_help=True, help="Who may log in to the app (needed when it listens beyond this machine).")
app.add_typer(users_app, name="users")


def _users_file():
    from core.users import UsersFile, users_path

    return UsersFile(users_path(load_settings()))


def _read_password(from_stdin: bool) -> str:
    """The new password: one line of stdin, or typed twice without echo."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise CoachError("--password-stdin: no password on standard input")
        return password
    return typer.prompt("Password", hide_input=True, confirmation_prompt="Password again")


@users_app.command("add")
@friendly
def users_add(name: str = typer.Argument(..., help="User name: letters, digits, . _ - (stored in lower case)."),
              password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from standard input instead of asking for it twice."),
              replace: bool = typer.Option(False, "--replace", help="Change the password of an existing user.")):
    """Add a user (or change a password, with --replace); only a salted scrypt hash is stored."""
    from core.users import user_key

    users = _users_file()
    existed = user_key(name) in users.names()  # a bad name is refused before the password is asked for
    key = users.add(name, _read_password(password_stdin), replace=replace)
    out.print(f"{'Changed the password of' if existed else 'Added'} {escape(key)} in {escape(str(users.path))}.",
              highlight=False)


@users_app.command("list")
@friendly
def users_list():
    """The users who may log in, with when they were added."""
    users = _users_file()
    entries = users.entries()
    for name, entry in entries.items():
        out.print(f"{name}  (added {entry.get('added_at', '?')})", markup=False, highlight=False)
    if not entries:
        out.print(f"No users in {escape(str(users.path))}: add one with `coach users add NAME`.", highlight=False)


@users_app.command("remove")
@friendly
def users_remove(name: str):
    """Remove a user: they can no longer log in (their progress is kept on disk)."""
    users = _users_file()
    key = users.remove(name)
    out.print(f"Removed {escape(key)} from {escape(str(users.path))}.", highlight=False)


@app.command("model-server")
@friendly
def model_server(host: str = typer.Option("127.0.0.1", help="Where to listen (0.0.0.0: every interface)."),
                 port: int = typer.Option(8080, min=1, max=65535),
                 parallel: int = typer.Option(2, min=1, max=16, help="Requests decoded together (slots), each with COACH_N_CTX tokens."),
                 api_key: str = typer.Option(None, envvar="COACH_MODEL_SERVER_KEY", help="Key every request must carry (default: a new random one, printed).")):
    """Serve the chat model to other app processes: an OpenAI-compatible endpoint with parallel slots."""
    import secrets
    import time

    from rag.llm.factory import resolve_model_path
    from rag.llm.xllama import serve_http

    settings = load_settings()
    key = api_key or secrets.token_urlsafe(24)
    path = resolve_model_path(settings.chat, settings.paths.model_cache_dir)
    url = serve_http(path, host=host, port=port, parallel=parallel, n_ctx_per_slot=settings.chat.n_ctx,
                     n_threads=settings.chat.n_threads, api_key=key)
    out.print(f"Serving {path.name} at {url} with {parallel} slots (Ctrl-C stops it). Point each app at it:", highlight=False)
    out.print(f"  COACH_LLM_PROVIDER=openai COACH_OPENAI_BASE_URL={url} COACH_OPENAI_API_KEY={key} bash run.sh",
              highlight=False, soft_wrap=True)
    sys.stdout.flush()
    while True:
        time.sleep(3600)


@app.command()
@friendly
def bench(ctx: typer.Context, as_json: bool = typer.Option(False, "--json"), skip_llm: bool = typer.Option(False, "--skip-llm"),
          scale: bool = typer.Option(False, "--scale", help="Instead: ingest and retrieval on synthetic notes N times yours."),
          scale_sizes: str = typer.Option("1,10,100", "--scale-sizes", help="With --scale: the multiples, e.g. 10,100 (100x embeds 19,100 chunks: about 30 min on 2 cores)."),
          load: bool = typer.Option(False, "--load", help="Instead: simulated users asking at once through the app."),
          users: int = typer.Option(None, "--users", min=1, help="With --load (implies it): how many users (default 8)."),
          per_user: int = typer.Option(2, "--questions-per-user", min=1, max=5, help="With --load: questions each user asks."),
          slots: int = typer.Option(0, "--slots", min=0, max=16, help="With --load: also serve the embedded model as an OpenAI-compatible endpoint with this many parallel slots and load it."),
          speech: bool = typer.Option(False, "--speech", help="Instead: speech-to-text WER (overall, on technical terms), spoken against typed grades, real-time factor and end-of-speech latency on the spoken test set (needs the speech and voice extras)."),
          speech_split: str = typer.Option("heldout", "--speech-split", help="With --speech: tune, heldout or all."),
          speech_limit: int = typer.Option(None, "--speech-limit", min=1, help="With --speech: only the first N answers.")):
    """Print speed and memory figures (cold/warm ingest, retrieval latency, first token, tokens/s);
    --scale for larger note sets, --load for concurrent users."""
    settings = load_settings()
    make = lambda s: _services(ctx, s)  # noqa: E731
    if speech:
        from ui.bench_speech import bench_speech, summary_lines as speech_lines

        figures = bench_speech(settings, make, split=speech_split, limit=speech_limit, log=err.print)
        print(json.dumps(figures, indent=1) if as_json else "\n".join(speech_lines(figures)))
        return
    if scale:
        from ui.bench_scale import bench_scale, parse_sizes, summary_lines

        figures = bench_scale(settings, make, parse_sizes(scale_sizes), log=err.print)
        print(json.dumps(figures, indent=1) if as_json else "\n".join(summary_lines(figures)))
        return
    if load or users:
        from ui.bench_load import bench_load

        figures = bench_load(settings, make, users=users or 8, per_user=per_user, slots=slots, log=err.print)
        print(json.dumps(figures, indent=1) if as_json else "\n".join(
            [f"{k}: {v}" for k, v in figures.items() if k != "load_conclusion"] + figures["load_conclusion"]))
        return
    from ui.bench import run_bench

    figures = run_bench(settings, make, skip_llm=skip_llm, log=err.print)
    print(json.dumps(figures, indent=1) if as_json else "\n".join(f"{k}: {v}" for k, v in figures.items()))


@app.command()
@friendly
def transcribe(ctx: typer.Context, file: Path = typer.Argument(..., help="A PCM WAV recording (any rate, mono or stereo)."),
               as_json: bool = typer.Option(False, "--json", help="Segments with word timings and the seconds it took.")):
    """Speech to text on this machine (whisper, the speech extra), with the notes' vocabulary as prompt."""
    from core.errors import IndexNotBuilt
    from rag.speech.stt import make_transcriber
    from rag.speech.types import read_wav

    settings = load_settings()
    if not file.is_file():
        raise CoachError(f"{file} is not a file")
    audio = read_wav(file)
    transcriber = make_transcriber(settings.speech, settings.paths.model_cache_dir)
    prompt = ""
    if settings.speech.speech_hotwords:
        try:
            services = _services(ctx, settings)
            prompt = services.vocabulary().prompt(None)
        except IndexNotBuilt:
            prompt = ""  # no notes indexed yet: no vocabulary to give
    result = transcriber.transcribe(audio, prompt=prompt or None)
    if as_json:
        print(json.dumps({**result.to_dict(), "prompt": prompt}, indent=1, ensure_ascii=False))
    else:
        print(result.text)

def _check_split(split: str, check: bool) -> None:
    from evals.golden import SPLITS

    if split not in (*SPLITS, "all"):
        raise CoachError(f"unknown split {split!r}; choose from {', '.join(SPLITS)}, all")
    if check and split != "heldout":
        raise CoachError("--check gates the held-out part only: drop --split or use --split heldout")


def _progress_bar(label: str):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err, transient=True)


@app.command("eval")
@friendly
def eval_cmd(ctx: typer.Context, limit: int = typer.Option(None, "--limit", min=1, help="Only the first N items."),
             kinds: str = typer.Option(None, "--kinds", help="Comma list: factual,compare,scenario,followup,out_of_scope."),
             k: int = typer.Option(None, "--k", min=1, help="Context blocks / precision cut-off (default: settings.context_k)."),
             split: str = typer.Option("heldout", "--split", help="Part of the golden set: heldout (reported, gated), tune (for choosing settings) or all."),
             retrieval_only: bool = typer.Option(False, "--retrieval-only", help="No chat model: retrieval and the refusal gate only (fast)."),
             no_llm_judge: bool = typer.Option(False, "--no-llm-judge", help="Skip the chat-model judge (faster)."),
             check: bool = typer.Option(False, "--check", help="Exit 1 when a metric is under its threshold in evals/thresholds.toml."),
             as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON.")):
    """Measure retrieval quality, faithfulness, citations, refusals; writes evals/reports/<time>/."""
    from evals.golden import KINDS
    from evals.report import write_report
    from evals.run import run_eval
    from evals.thresholds import check_thresholds

    _check_split(split, check)
    kind_list = [x.strip() for x in kinds.split(",")] if kinds else None
    if kind_list and (bad := [x for x in kind_list if x not in KINDS]):
        raise CoachError(f"unknown kinds {bad}; choose from {', '.join(KINDS)}")
    services = _services(ctx, load_settings())
    ensure_index(services)
    with _progress_bar("evaluating") as bar:
        task = bar.add_task("eval", total=None)
        report = run_eval(services, kinds=kind_list, limit=limit, k=k, split=split, generate=not retrieval_only,
                          llm_judge=not no_llm_judge, progress=lambda d, t: bar.update(task, completed=d, total=t))
    folder = write_report(report)
    if as_json:
        print(json.dumps(report["summary"], indent=1))
    else:
        out.print((folder / "report.md").read_text(encoding="utf-8"), markup=False, highlight=False)
    err.print(f"Report written to {folder}")
    if check:
        failures = check_thresholds(report["summary"])
        for f in failures:
            err.print(f"[bold red]below threshold:[/] {f}")
        if failures:
            raise typer.Exit(1)


@app.command("eval-compare")
@friendly
def eval_compare(ctx: typer.Context, a: Path = typer.Argument(..., exists=True), b: Path = typer.Argument(..., exists=True)):
    """Compare two eval reports (folders or report.json) metric by metric."""
    from rich.table import Table

    from evals.report import better, compare, load_report

    table = Table("metric", "A", "B", "B - A (green: better)")
    for name, va, vb, d in compare(load_report(a), load_report(b)):
        verdict = better(name, d)
        shown = "-" if d is None else f"{d:+}"
        table.add_row(name, str(va), str(vb), shown if verdict is None else f"[{'green' if verdict else 'red'}]{shown}[/]")
    out.print(table)


@app.command()
@friendly
def disputes(ctx: typer.Context, export: Path = typer.Option(None, "--export", help="Write them as grading examples (JSONL, evals/FORMAT.md).")):
    """Grades you disputed in interviews ("I covered it"), optionally exported as labelled grading examples."""
    from evals.grading import disputes_as_examples

    services = _services(ctx, load_settings())
    found = services.progress_store.disputes()
    for d in found:
        out.print(f"{d['disputed_at'][:16]}  {d['old_score']:>3} -> {d['new_score']:>3}  {d['question']}  "
                  f"[covered: {d['point']}]", markup=False, highlight=False)
    if not found:
        out.print("No disputed grades yet.")
    if export is not None:
        rows = disputes_as_examples(found, {q.qid: q for q in services.question_bank()})
        export.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        err.print(f"Wrote {len(rows)} examples to {export}.")


@app.command()
@friendly
def calibrate(ctx: typer.Context, no_llm_judge: bool = typer.Option(False, "--no-llm-judge"),
              limit: int = typer.Option(None, "--limit", min=1),
              split: str = typer.Option("heldout", "--split", help="Part of the calibration set: heldout, tune or all."),
              claims: str = typer.Option("both", "--claims", help="Which labelled claims: planted (lexical swaps), real (the chain's own answers, labelled by reading) or both."),
              grading: bool = typer.Option(False, "--grading", help="The interviewer's grades against the labelled spoken answers (evals/data/grading.jsonl) instead of the faithfulness judges."),
              check: bool = typer.Option(False, "--check", help="Exit 1 when a judge is under its accuracy threshold.")):
    """Judge calibration: each judge's accuracy at catching unsupported claims (planted and real); with --grading, the interviewer's grades against labelled answers."""
    from evals.calibration import run_calibration
    from evals.thresholds import check_calibration

    _check_split(split, check)
    services = _services(ctx, load_settings())
    if grading:
        from evals.grading import run_grading_calibration

        if check:
            raise CoachError("--check has no gate for --grading yet: run `coach calibrate --grading` without it")

        ensure_index(services)
        with _progress_bar("grading") as bar:
            task = bar.add_task("grade", total=None)
            result = run_grading_calibration(services, split=split, limit=limit,
                                             progress=lambda d, t: bar.update(task, completed=d, total=t))
        print(json.dumps({k: v for k, v in result.items() if k != "rows"}, indent=1))
        return
    if claims not in ("planted", "real", "both"):
        raise CoachError(f"unknown --claims {claims!r}; choose planted, real or both")
    results = {}
    for name in (("planted", "real") if claims == "both" else (claims,)):
        with _progress_bar(f"judging {name} claims") as bar:
            task = bar.add_task("cal", total=None)
            results[name] = run_calibration(services, llm_judge=not no_llm_judge, limit=limit, split=split, claims_set=name,
                                            progress=lambda d, t: bar.update(task, completed=d, total=t))
    print(json.dumps(results, indent=1))
    if check and (failures := [f for r in results.values() for f in check_calibration(r)]):
        for f in failures:
            err.print(f"[bold red]below threshold:[/] {f}")
        raise typer.Exit(1)


@app.command()
@friendly
def interview(ctx: typer.Context, topic: list[str] = typer.Option(None, "--topic", help="A topic (section of the notes); repeat for several."),
              count: int = typer.Option(5, "--count", min=1, max=50),
              weak: bool = typer.Option(False, "--weak", help="Only your weakest topics."),
              level: str = typer.Option(None, "--level", help="Start at this level (very basic, basic, intermediate, advanced); the questions then follow your answers up or down."),
              report: Path = typer.Option(None, "--report", dir_okay=False, help="Also write the session report (Markdown) to this file.")):
    """A mock interview in the terminal: answer, get a score, feedback and a follow-up."""
    from ingest.models import split_heading
    from rag.interview.levels import LEVELS, parse_level
    from rag.interview.session import Ask, Feedback, Graded, Info, Summary

    services = _services(ctx, load_settings())
    announce_recovered_progress(services)
    ensure_index(services)
    topics = sorted({q.topic for q in services.question_bank()})
    if topic and (unknown := [t for t in topic if t not in topics]):
        raise CoachError(f"unknown topic {unknown[0]!r}; topics: {'; '.join(topics)}")
    start = parse_level(level)
    if level is not None and start is None:
        raise CoachError(f"unknown level {level!r}; levels: {', '.join(LEVELS)}")
    session = services.new_interview(topics=topic, count=count, weak=weak, level=start)
    out.print("[bold]Mock interview.[/] Answer as you would say it. Commands: hint, skip, show answer, end.")

    def render(events) -> bool:
        for ev in events:
            if isinstance(ev, Ask):
                tag = "follow-up" if ev.turn.followup else f"question {ev.number}/{ev.total}"
                if not ev.turn.followup and ev.turn.level:
                    tag += f", {ev.turn.level} level"
                out.print(f"\n[bold blue]interviewer ({tag}, {escape(ev.turn.item.topic)}):[/] {escape(ev.text)}")
            elif isinstance(ev, Graded):
                g = ev.grade
                out.print(f"[bold]score {g.score}/100[/] ({g.verdict}) {escape(g.message)}", highlight=False)
                for p in g.points:
                    mark = "[green]✓[/]" if p.covered else "[red]✗[/]"
                    out.print(f"  {mark} {escape(p.point)} [dim]({escape(split_heading(p.source)[-1])})[/]", highlight=False)
            elif isinstance(ev, Feedback):
                out.print(ev.text, end="", highlight=False, markup=False)
            elif isinstance(ev, Info):
                out.print(f"[yellow]{escape(ev.text)}[/]", highlight=False)
            elif isinstance(ev, Summary):
                out.print("\n" + ev.text(), highlight=False)
                for d in ev.due[:10]:
                    out.print(f"  comes back {d['due'] or '-'}: {d['question']}", highlight=False)
                if report is not None:
                    try:
                        report.write_text(ev.report, encoding="utf-8")
                    except OSError as e:
                        raise CoachError(f"cannot write the report to {report}: {e.strerror or e}") from e
                    out.print(f"[dim]Report written to {escape(str(report))}[/]")
                elif ev.report_path is not None:
                    out.print(f"[dim]Report saved in {escape(str(ev.report_path))}[/]")
                return True
        return False

    if render(session.start()):
        return
    while True:
        try:
            answer = out.input("[bold green]you>[/] ")
        except EOFError:
            render(session.end())
            return
        out.print()
        if render(session.respond(answer)):
            return
