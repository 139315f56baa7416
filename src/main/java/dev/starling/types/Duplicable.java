package dev.starling.types;

/** A mutable value that COPY can duplicate (Redis's per-type dup in copyCommand). */
public interface Duplicable {
    /** A deep copy sharing no mutable state with this value. */
    Object duplicate();
}
