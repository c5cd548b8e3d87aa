"""The verifier's unit tests and the guide's static checks: no Docker, seconds."""
