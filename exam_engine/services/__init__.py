"""Use cases: plain values in, domain errors out; the only layer that commits."""
