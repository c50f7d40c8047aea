"""Nightly operation (SPEC §8): daily partitions on the business date, the nightly schedule,
and the partitioned job that backfills run through."""
