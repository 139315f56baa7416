package dev.starling.types;

import java.util.function.Consumer;

/**
 * What ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD need from a set value: Redis's
 * zunionInterDiffGenericCommand accepts plain sets as inputs whose members all score 1
 * (t_zset.c zuiLength / zuiFind / zuiNext over OBJ_SET). A set type implements this to be usable
 * there; any other type is WRONGTYPE.
 */
public interface SetMembers {
    /** Number of members (zuiLength). */
    long setSize();

    /** True if member is in the set (zuiFind); for an intset, only canonical integer strings match. */
    boolean setContains(byte[] member);

    /** Visits every member once (zuiNext); the visitor must not modify the set. */
    void forEachMember(Consumer<byte[]> visitor);
}
