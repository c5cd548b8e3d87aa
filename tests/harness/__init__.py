"""The small machinery behind the proofs: engine, images, cleanup, transcripts, claims."""
