"""Claims in the prose, proofs in the tests, evidence on the page."""
