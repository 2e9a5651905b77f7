"""Tab "Notes": what is indexed, re-indexing with progress, and adding notes by upload."""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import pandas as pd

from core.format import human_bytes
from ingest.injection import is_injection_warning
from ui import render
from ui.common import INDEX_GROUP, guarded, model_label, username
from ui.uploads import save_uploads


def files_frame(meta: dict | None) -> pd.DataFrame:
    files = (meta or {}).get("files") or {}
    rows = [{"File": f, "Chunks": v.get("chunks", 0), "Questions": v.get("questions", 0)}
            for f, v in sorted(files.items())]
    return pd.DataFrame(rows, columns=["File", "Chunks", "Questions"])


def notes_summary(meta: dict | None, corpus_dir: Path) -> str:
    if not meta:
        return f"**Not indexed yet.** Press **Re-index** to index the notes in `{corpus_dir}`."
    files = meta.get("files") or {}
    rep = meta.get("report") or {}
    flagged = [w for w in rep.get("warnings") or [] if is_injection_warning(w)]  # ingest/injection.py
    return (f"**{len(files)} notes** \u00b7 {rep.get('chunks', 0)} chunks \u00b7 {rep.get('questions', 0)} questions "
            f"\u00b7 last indexed {meta.get('ingested_at', '?')} \u00b7 folder `{corpus_dir}`"
            + "".join(f"\n\n\u26a0\ufe0f {render.md(w)}" for w in flagged))


def report_line(report) -> str:
    line = (f"Indexed {report.files} files, {report.chunks} chunks in {report.seconds:.1f} s: "
            f"{report.added} added, {report.updated} updated, {report.deleted} deleted, "
            f"{report.unchanged} unchanged ({report.embedded} embedded).")
    if report.warnings:
        line += "\n\n" + "\n".join(f"- {render.md(w)}" for w in report.warnings[:10])
    return line


def _progress_cb(progress):
    def cb(done: int, total: int) -> None:
        if total:
            progress((done, total), desc="Embedding new and changed chunks", unit="chunks")
    return cb


def make_handlers(services):
    settings = services.settings

    def view():
        meta = services.index.meta()
        return (notes_summary(meta, settings.paths.corpus_dir), files_frame(meta),
                render.status_html(meta, model_label(settings.chat)))

    @guarded
    def notes(request: gr.Request = None):
        """The indexed files, their chunk and question counts, the last ingest time, and the
        questions the notes could not answer (asked in the Ask tab by this user)."""
        summary, table, _ = view()
        return summary, table, render.gaps_html(services.progress_for(username(request)).gaps())

    @guarded
    def reindex(progress=gr.Progress()):
        """Incremental ingest of the notes folder: only new or changed chunks are embedded."""
        progress(0, desc="Reading the notes")
        report = services.ingest(progress=_progress_cb(progress))
        return (report_line(report), *view())

    @guarded
    def upload(files, progress=gr.Progress()):
        """Save uploaded .md/.markdown/.txt files into the notes folder, then ingest them."""
        paths = [f if isinstance(f, str) else getattr(f, "name", str(f)) for f in (files or [])]
        if not paths:
            return ("", *view(), None)
        items = [(Path(p).name, Path(p)) for p in paths]
        result = save_uploads(items, services.index.add_note, settings.ui.upload_max_bytes)
        lines = [render.md(result.message())]
        if result.rejected:
            gr.Warning(f"{len(result.rejected)} file(s) rejected: see the message under the upload box.")
        if result.saved:
            progress(0, desc="Indexing the new notes")
            report = services.ingest(progress=_progress_cb(progress))
            lines.append(report_line(report))
        return ("\n\n".join(lines), *view(), None)

    return notes, reindex, upload, view


def build_notes_tab(services, status):
    """Build the tab; returns (refresh function, outputs) for the tab's select event."""
    notes, reindex, upload, _ = make_handlers(services)
    limit = human_bytes(services.settings.ui.upload_max_bytes)
    summary = gr.Markdown(elem_id="notes-summary")
    with gr.Row(equal_height=False, elem_classes="tab-row"):
        with gr.Column(scale=3, min_width=420):
            table = gr.Dataframe(headers=["File", "Chunks", "Questions"], interactive=False, elem_id="notes-table",
                                 max_height=380, wrap=True, show_label=False)
        with gr.Column(scale=2, min_width=300, elem_classes="notes-side"):
            with gr.Column(elem_classes="card"):
                gr.Markdown("**Re-index** \u2014 after editing notes on disk. Only new or changed "
                            "sections are embedded again.", elem_classes="card-text")
                reindex_btn = gr.Button("Re-index notes", variant="primary", elem_id="reindex")
            reindex_out = gr.Markdown(elem_id="reindex-result")
            with gr.Column(elem_classes="card"):
                gr.Markdown(f"**Add notes** \u2014 .md, .markdown or .txt files, up to {limit} each. "
                            "They are copied into your notes folder and indexed.", elem_classes="card-text")
                files = gr.File(file_count="multiple", show_label=False, elem_id="upload", height=140)
            upload_out = gr.Markdown(elem_id="upload-result")
    gaps = gr.HTML(render.gaps_html([]), elem_id="notes-gaps", padding=False)

    reindex_btn.click(reindex, None, [reindex_out, summary, table, status], api_name="reindex",
                      show_progress="full", show_progress_on=[table], **INDEX_GROUP)
    files.upload(upload, [files], [upload_out, summary, table, status, files], api_name="upload_notes",
                 show_progress="full", show_progress_on=[table], **INDEX_GROUP)
    return notes, [summary, table, gaps]

