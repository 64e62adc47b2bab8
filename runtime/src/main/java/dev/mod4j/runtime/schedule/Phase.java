package dev.mod4j.runtime.schedule;

/** Prefill processes the whole prompt at once; decode one generated token (or a later batch) against the caches. */
public enum Phase {
    PREFILL, DECODE
}
