"""The layer under all others: the settings object, the user-facing error type, the process
environment defaults.  Imports nothing of the project."""
