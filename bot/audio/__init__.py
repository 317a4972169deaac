"""Audio containers read and written in Python, without ffmpeg: MP3 frames and WAV.

A leaf package: both the engines (which check what they synthesised) and the pipeline (which
joins frames) import it; it imports nothing of ours but the errors.
"""
