"""The Gradio app of Interview Coach: header, and the Ask / Mock interview / Progress / Notes tabs.

``build_app(settings, services)`` returns the Blocks.  Gradio 6 takes the theme and CSS at
``launch()``: the returned Blocks applies ``launch_kwargs(settings)`` by itself (explicit
arguments to ``launch`` win), so ``demo.queue(...).launch(server_name=..., ...)`` looks right.
Its ``launch`` also decides about logins (``ui.auth.login_plan``): on a host reachable from the
network it asks for one, and refuses to start without a user.
"""

from __future__ import annotations

import threading
from pathlib import Path

import gradio as gr

from core.errors import CoachError
from core.settings import Settings
from ui import render
from ui.ask_tab import build_ask_tab
from ui.auth import LoginPlan, login_kwargs, login_plan
from ui.common import FREE, guarded, model_label
from ui.interview_tab import build_interview_tab
from ui.notes_tab import build_notes_tab
from ui.progress_tab import build_progress_tab
from ui.voice import mic_script

TITLE = "Interview Coach"
CSS_PATH = Path(__file__).with_name("style.css")
_SYSTEM_FONTS = ["Inter", "ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto",
                 "Helvetica Neue", "Arial", "Liberation Sans", "DejaVu Sans", "sans-serif"]
_MONO_FONTS = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "Liberation Mono", "monospace"]


def make_theme() -> gr.themes.Base:
    """A calm theme using only local fonts (no web font requests: the app runs offline)."""
    return gr.themes.Soft(
        primary_hue="teal", secondary_hue="slate", neutral_hue="slate", radius_size="md",
        font=_SYSTEM_FONTS, font_mono=_MONO_FONTS,
    ).set(
        body_background_fill="#f6f8fa",
        block_shadow="none",
        block_border_width="1px",
        block_label_text_weight="600",
        block_label_background_fill="transparent",
        block_label_text_color="*neutral_600",
        block_title_background_fill="transparent",
        block_title_text_color="*neutral_700",
        block_label_padding="*spacing_xs *spacing_sm",
        button_primary_background_fill="*primary_600",
        button_primary_background_fill_hover="*primary_700",
        button_primary_text_color="white",
    )


def _read_css() -> str:
    try:
        return CSS_PATH.read_text(encoding="utf-8")
    except OSError:  # e.g. installed without package data: plainer, but working
        return ""


def subtitle(subject: str) -> str:
    notes = f"your own {subject} notes" if subject else "your own notes"
    return f"Mock interviews and answers from {notes} \u2014 private, offline."


def launch_kwargs(settings: Settings) -> dict:
    """Keyword arguments for ``Blocks.launch`` that the look and the limits need."""
    return {
        "theme": make_theme(),
        "css": _read_css(),
        "footer_links": ["settings"],
        "head": mic_script(),  # the microphone's recorder (ui/mic.js)
        # Gradio refuses bigger uploads outright; within this, ui.uploads explains its own limit.
        "max_file_size": max(4 * settings.ui.upload_max_bytes, 10_000_000),
        "allowed_paths": [str(settings.paths.reports_dir)],  # the session reports, for download
        **tls_kwargs(settings),
    }


def tls_kwargs(settings: Settings) -> dict:
    """HTTPS with the configured certificate (a self-signed one too: Gradio's own start-up request
    then skips verification); nothing without one."""
    if settings.ui.tls_certfile is None:
        return {}
    return {"ssl_certfile": str(settings.ui.tls_certfile), "ssl_keyfile": str(settings.ui.tls_keyfile),
            "ssl_verify": False}


class CoachBlocks(gr.Blocks):
    """Blocks whose ``launch`` applies the app's theme, CSS and limits unless told otherwise, and
    the login the host needs (``login``: the decision taken, after ``launch``)."""

    _launch_defaults: dict = {}
    _settings: Settings | None = None
    login: LoginPlan | None = None

    def launch(self, *args, **kwargs):
        for key, value in self._launch_defaults.items():
            kwargs.setdefault(key, value)
        if self._settings is not None and "auth" not in kwargs and "auth_dependency" not in kwargs:
            kwargs.setdefault("server_name", self._settings.ui.host)
            self.login = login_plan(self._settings, kwargs["server_name"], kwargs.get("server_port"))
            kwargs.update(login_kwargs(self.login))
        return super().launch(*args, **kwargs)


def launch(demo: gr.Blocks, settings: Settings, **kwargs):
    """Queue and launch the way the CLI does (one generation at a time)."""
    opts = {"server_name": settings.ui.host, "server_port": settings.ui.port, "show_error": False,
            **launch_kwargs(settings), **kwargs}
    return demo.queue(default_concurrency_limit=1).launch(**opts)


def _header_html(subject: str) -> str:
    return (f'<div class="brand"><div class="brand-mark">IC</div><div><div class="brand-name">{TITLE}</div>'
            f'<div class="brand-sub">{render.esc(subtitle(subject))}</div></div></div>')


def warm_up(services) -> threading.Thread:
    """Load the retriever's snapshot (BM25, title vectors) and the speech model in the background,
    so that the first question does not wait seconds for its sources, nor the first recording for
    its recogniser."""
    def run() -> None:
        try:
            services.retriever.search("warm up", [])
        except CoachError:  # no index yet: the first real request will say so
            pass
        if services.speech_problem() is None:
            try:
                services.transcriber.warm()
            except CoachError:  # the first recording will say so
                pass
    thread = threading.Thread(target=run, name="coach-warm-up", daemon=True)
    thread.start()
    return thread


def build_app(settings: Settings, services, warm: bool = True) -> gr.Blocks:
    def status_now() -> str:
        return render.status_html(services.index.meta(), model_label(settings.chat))

    with CoachBlocks(title=TITLE, analytics_enabled=False) as demo:
        demo._launch_defaults = launch_kwargs(settings)
        demo._settings = settings
        with gr.Row(elem_id="header", equal_height=True):
            gr.HTML(_header_html(services.subject), padding=False, elem_id="brand")
            status = gr.HTML(status_now(), padding=False, elem_id="status")
        with gr.Tabs(elem_id="tabs"):
            with gr.Tab("Ask", id="ask", elem_id="tab-ask"):
                build_ask_tab(services)
            with gr.Tab("Mock interview", id="interview", elem_id="tab-interview") as interview_tab:
                interview_controls, refresh_controls = build_interview_tab(services)
            with gr.Tab("Progress", id="progress", elem_id="tab-progress") as progress_tab:
                refresh_progress, progress_outputs = build_progress_tab(services)
            with gr.Tab("Notes", id="notes", elem_id="tab-notes") as notes_tab:
                list_notes, notes_outputs = build_notes_tab(services, status)

        interview_tab.select(guarded(refresh_controls), interview_controls, interview_controls, api_visibility="private",
                             show_progress="hidden", **FREE)
        progress_tab.select(refresh_progress, None, progress_outputs, api_visibility="private", **FREE)
        notes_tab.select(list_notes, None, notes_outputs, api_name="notes", **FREE)
        demo.load(guarded(status_now), None, status, api_visibility="private", show_progress="hidden", **FREE)
    if warm:
        warm_up(services)
    return demo
