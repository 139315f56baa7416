package dev.starling.persistence;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The manifest's text format and the rotation of base, incr and history files, as aof.c does them. */
class AofManifestTest {
    static AofManifest parse(String s) throws AofManifest.FormatError {
        return AofManifest.parse(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void rotation_baseIncrHistory_formattedInRedisOrder() throws Exception {
        AofManifest m = new AofManifest();
        assertThat(m.newBaseAndMarkPreviousAsHistory("appendonly.aof", true)).isEqualTo("appendonly.aof.1.base.rdb");
        assertThat(m.lastIncrOrNew("appendonly.aof")).isEqualTo("appendonly.aof.1.incr.aof");
        assertThat(m.format()).isEqualTo("file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n");
        // A rewrite: a new incr at the cut, then the new base; the old base and incr become history.
        m.newIncr("appendonly.aof");
        m.newBaseAndMarkPreviousAsHistory("appendonly.aof", false);
        m.markRewrittenIncrAsHistory(true);
        assertThat(m.format()).isEqualTo("file appendonly.aof.2.base.aof seq 2 type b\n"
                + "file appendonly.aof.1.incr.aof seq 1 type h\n"
                + "file appendonly.aof.1.base.rdb seq 1 type h\n"
                + "file appendonly.aof.2.incr.aof seq 2 type i\n");
        AofManifest back = parse(m.format());
        assertThat(back.format()).isEqualTo(m.format());
        assertThat(back.newIncr("appendonly.aof")).isEqualTo("appendonly.aof.3.incr.aof");
    }

    @Test
    void names_withSpacesOrQuotes_areQuotedAndReadBack() throws Exception {
        AofManifest m = new AofManifest();
        m.newBaseAndMarkPreviousAsHistory("my \"aof\"", true);
        assertThat(m.format()).isEqualTo("file \"my \\\"aof\\\".1.base.rdb\" seq 1 type b\n");
        assertThat(parse(m.format()).base.fileName).isEqualTo("my \"aof\".1.base.rdb");
    }

    @Test
    void parse_commentsAndExtraKeys_accepted() throws Exception {
        AofManifest m = parse("# comment\nfile a.1.base.rdb seq 1 type b future x\nFILE a.1.incr.aof SEQ 1 TYPE i\n");
        assertThat(m.base.fileName).isEqualTo("a.1.base.rdb");
        assertThat(m.incr).hasSize(1);
    }

    @Test
    void parse_errors_haveRedisTexts() {
        String[][] cases = {
            {"", "Found an empty AOF manifest"},
            {"\n", "Invalid AOF manifest file format"},
            {"file a seq 1 type\n", "Invalid AOF manifest file format"},
            {"file a seq 0 type b\n", "Invalid AOF manifest file format"},
            {"file a/b seq 1 type b\n", "File can't be a path, just a filename"},
            {"file a seq 1 type x\n", "Unknown AOF file type"},
            {"file a seq 1 type b\nfile b seq 2 type b\n", "Found duplicate base file information"},
            {"file a seq 3 type i\nfile b seq 3 type i\n", "Found a non-monotonic sequence number"},
            {"file a seq 1 type b", "The AOF manifest file contains too long line"},
            {"file \"a seq 1 type b\n", "Invalid AOF manifest file format"},
            {"file " + "x".repeat(1100) + " seq 1 type b\n", "The AOF manifest file contains too long line"},
        };
        for (String[] c : cases) {
            assertThatThrownBy(() -> parse(c[0])).as(c[0]).isInstanceOf(AofManifest.FormatError.class).hasMessage(c[1]);
        }
    }
}
