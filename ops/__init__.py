"""Running, deploying and measuring the assistant: the launcher, database preparation, deployment files,
the benchmark and the NLU evaluation."""
