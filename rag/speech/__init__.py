"""Speech on the machine: speech-to-text (faster-whisper) and the notes' vocabulary for it."""
