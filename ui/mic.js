// The microphone of Interview Coach: records in the browser and hands the audio to the app in
// numbered half-second pieces, each one its own queued event (never dropped, unlike a streamed
// component's "latest value"), so the app transcribes while the candidate speaks.  Audio goes only
// to the app's own server; nothing else is contacted.
window.coachMic = (() => {
  const SEND_EVERY_MS = 500;
  const RATE = 16000; // what the recogniser reads; the browser resamples the microphone to it
  let rec = null;
  const queues = {};  // pieces waiting for their event, by the id of the button whose click carries them

  function base64(int16) {
    const bytes = new Uint8Array(int16.buffer);
    let s = "";
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    return btoa(s);
  }

  function send(r, last) {
    const n = r.buf.reduce((a, b) => a + b.length, 0);
    const pcm = new Int16Array(n);
    let o = 0;
    for (const b of r.buf) for (let i = 0; i < b.length; i++) {
      const v = Math.max(-1, Math.min(1, b[i]));
      pcm[o++] = v < 0 ? v * 32768 : v * 32767;
    }
    r.buf = [];
    (queues[r.ids.arrived] ||= []).push(`${r.id}|${r.seq++}|${r.rate}|${last ? 1 : 0}|${base64(pcm)}`);
    document.getElementById(r.ids.arrived)?.click();
  }

  function say(ids, text) {
    const note = document.querySelector(`#${ids.note} .mic-note`);
    if (note) note.textContent = text;
  }

  function label(r) {
    const s = Math.round((performance.now() - r.t0) / 1000);
    const btn = document.getElementById(r.ids.button);
    if (btn) btn.textContent = `\u25a0 Stop (${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")})`;
  }

  async function start(ids) {
    if (!navigator.mediaDevices || !window.isSecureContext) {
      say(ids, "The browser allows the microphone only on https:// or on this machine (localhost): see \u201cA phone\u201d in the README.");
      return;
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({audio: {channelCount: 1, echoCancellation: true, noiseSuppression: true}});
    } catch (e) {
      say(ids, `No microphone: ${e.name === "NotAllowedError" ? "the browser was not allowed to use it" : e.message}.`);
      return;
    }
    const ctx = new AudioContext({sampleRate: RATE});
    const src = ctx.createMediaStreamSource(stream);
    const proc = ctx.createScriptProcessor(2048, 1, 1);
    const r = {ctx, stream, src, proc, ids, buf: [], seq: 0, rate: ctx.sampleRate, id: Date.now().toString(36), t0: performance.now()};
    proc.onaudioprocess = (e) => r.buf.push(new Float32Array(e.inputBuffer.getChannelData(0)));
    src.connect(proc);
    proc.connect(ctx.destination);
    r.timer = setInterval(() => { send(r, false); label(r); }, SEND_EVERY_MS);
    rec = r;
    document.getElementById(ids.button)?.classList.add("recording");
    label(r);
    say(ids, "Listening\u2026 press Stop when you are done.");
  }

  function stop() {
    const r = rec;
    rec = null;
    clearInterval(r.timer);
    r.proc.disconnect();
    r.src.disconnect();
    r.stream.getTracks().forEach((t) => t.stop());
    r.ctx.close();
    send(r, true);
    const btn = document.getElementById(r.ids.button);
    if (btn) { btn.classList.remove("recording"); btn.textContent = r.ids.label; }
    say(r.ids, "Transcribing the last words\u2026");
  }

  return {
    next(arrived) {
      return (queues[arrived] || []).shift() || "";
    },
    toggle(ids) {
      if (rec && rec.ids.button === ids.button) stop();
      else if (!rec) start(ids);
    },
  };
})();
