package dev.starling.keyspace;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class DictTest {
    private static byte[] key(int i) {
        return ("key:" + i).getBytes(StandardCharsets.US_ASCII);
    }

    private static Dict<KeyEntry> newDict() {
        return new Dict<>(KeyEntry::new);
    }

    @Test
    void addGetRemove_keepsInvariantsThroughRehash() {
        Dict<KeyEntry> d = newDict();
        for (int i = 0; i < 10_000; i++) {
            d.add(key(i)).value = i;
            if (i % 997 == 0) assertThat(d.validate()).isNull();
        }
        assertThat(d.size()).isEqualTo(10_000);
        for (int i = 0; i < 10_000; i++) assertThat(d.get(key(i)).value).isEqualTo(i);
        for (int i = 0; i < 10_000; i += 2) assertThat(d.remove(key(i))).isNotNull();
        assertThat(d.validate()).isNull();
        assertThat(d.size()).isEqualTo(5_000);
        assertThat(d.get(key(2))).isNull();
        assertThat(d.get(key(3))).isNotNull();
    }

    @Test
    void scan_returnsEveryKeyPresentForTheWholeScan_whileDictGrows() {
        Dict<KeyEntry> d = newDict();
        for (int i = 0; i < 1000; i++) d.add(key(i));
        Set<String> seen = new HashSet<>();
        long cursor = 0;
        int next = 1000;
        int calls = 0;
        do {
            cursor = d.scan(cursor, e -> seen.add(new String(e.key, StandardCharsets.US_ASCII)));
            // Grow a lot between calls so scans straddle rehashes of several sizes.
            for (int j = 0; j < 300 && next < 200_000; j++) d.add(key(next++));
            if (++calls % 512 == 0) assertThat(d.validate()).isNull();
        } while (cursor != 0);
        assertThat(d.validate()).isNull();
        for (int i = 0; i < 1000; i++) assertThat(seen).contains("key:" + i);
    }

    @Test
    void scan_returnsEveryKeyPresentForTheWholeScan_whileDictShrinks() {
        Dict<KeyEntry> d = newDict();
        for (int i = 0; i < 50_000; i++) d.add(key(i));
        while (d.rehash(1000)) { }
        Set<String> seen = new HashSet<>();
        long cursor = 0;
        int calls = 0;
        int victim = 100; // keys 0..99 stay for the whole scan; others are deleted as it goes
        do {
            cursor = d.scan(cursor, e -> seen.add(new String(e.key, StandardCharsets.US_ASCII)));
            for (int j = 0; j < 2000 && victim < 50_000; j++) d.remove(key(victim++));
            d.shrinkIfNeeded();
            d.rehash(3);
            if (++calls % 512 == 0) assertThat(d.validate()).isNull();
        } while (cursor != 0);
        for (int i = 0; i < 100; i++) assertThat(seen).contains("key:" + i);
    }

    @Test
    void sampleAndRandom_returnOnlyPresentEntries() {
        Dict<KeyEntry> d = newDict();
        for (int i = 0; i < 100; i++) d.add(key(i));
        d.expand(1024); // rehashing in progress
        DictEntry[] out = new DictEntry[16];
        for (int round = 0; round < 50; round++) {
            int n = d.sample(out, 16);
            assertThat(n).isPositive();
            for (int i = 0; i < n; i++) assertThat(d.get(out[i].key)).isSameAs(out[i]);
            assertThat(d.get(d.randomEntry().key)).isNotNull();
        }
    }
}
