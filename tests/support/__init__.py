"""Test support code: a moto server runner and an STS fault-injecting proxy."""
