"""Media helpers: the ffmpeg binary, probing and frame I/O."""
