"""Cross-service tests: they start real service processes and talk to them over HTTP."""
