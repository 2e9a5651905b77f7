"""Mock-interview logic: key points of a reference answer, grading, spaced repetition.

Pure modules (no UI, no LLM calls): ``keypoints``, ``grading``, ``scheduler``.
"""
