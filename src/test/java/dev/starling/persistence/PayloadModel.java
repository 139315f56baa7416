package dev.starling.persistence;

import dev.starling.config.Config;
import dev.starling.types.Hash;
import dev.starling.types.SetValue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A DUMP payload's contents in an order-independent form, to compare hashtable encodings whose
 * element order follows each server's hash function: the type byte, then the elements sorted.
 */
final class PayloadModel {
    private PayloadModel() {}

    static String decode(byte[] payload) {
        Config config = new Config();
        config.hashMaxListpackEntries = Long.MAX_VALUE;
        config.setMaxIntsetEntries = Long.MAX_VALUE;
        RdbReader r = new RdbReader(payload, config, true);
        try {
            int type = r.loadType();
            Object v = r.loadObject(type);
            List<String> items = new ArrayList<>();
            if (v instanceof SetValue s) {
                for (byte[] m : s.members()) items.add(text(m));
            } else if (v instanceof Hash h) {
                h.forEach((f, val) -> items.add(text(f) + "=" + text(val)));
            } else {
                throw new IllegalArgumentException("not a hashtable type: " + type);
            }
            Collections.sort(items);
            return "type " + type + " " + items;
        } catch (RdbException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }
}
