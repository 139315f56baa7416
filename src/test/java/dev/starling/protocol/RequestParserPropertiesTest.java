package dev.starling.protocol;

import dev.starling.support.RespClient;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The decoder's contract under arbitrary input: never throws, never stalls, chunking is invisible. */
class RequestParserPropertiesTest {
    private static final long MAX_BULK = 512L * 1024 * 1024;

    @Provide
    Arbitrary<List<List<byte[]>>> commands() {
        Arbitrary<byte[]> arg = Arbitraries.bytes().array(byte[].class).ofMaxSize(300);
        return arg.list().ofMinSize(1).ofMaxSize(8).list().ofMinSize(1).ofMaxSize(20);
    }

    @Property(tries = 300)
    void multibulkCommands_splitAtAnyPoints_parseToTheSameArguments(
            @ForAll("commands") List<List<byte[]>> commands, @ForAll @IntRange(min = 1, max = 97) int chunk) {
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        for (List<byte[]> cmd : commands) wire.writeBytes(RespClient.encode(cmd.toArray(new byte[0][])));
        byte[] bytes = wire.toByteArray();

        RequestParser p = new RequestParser();
        ByteBuf buf = Unpooled.buffer();
        List<List<byte[]>> parsed = new ArrayList<>();
        for (int off = 0; off < bytes.length; off += chunk) {
            buf.writeBytes(bytes, off, Math.min(chunk, bytes.length - off));
            while (true) {
                int r = p.parse(buf, false, MAX_BULK);
                assertThat(r).isNotEqualTo(RequestParser.PROTOCOL_ERROR);
                if (r == RequestParser.NEED_MORE) break;
                List<byte[]> cmd = new ArrayList<>();
                for (int i = 0; i < p.argc; i++) cmd.add(p.argv[i]);
                parsed.add(cmd);
                p.reset();
            }
            buf.discardReadBytes();
        }
        assertThat(parsed).hasSameSizeAs(commands);
        for (int i = 0; i < commands.size(); i++) {
            assertThat(parsed.get(i)).hasSameSizeAs(commands.get(i));
            for (int j = 0; j < commands.get(i).size(); j++) {
                assertThat(parsed.get(i).get(j)).isEqualTo(commands.get(i).get(j));
            }
        }
    }

    @Property(tries = 2000)
    void arbitraryBytes_neverThrow_andAlwaysMakeProgressOrWait(@ForAll @Size(max = 2000) byte[] junk, @ForAll boolean authRequired) {
        RequestParser p = new RequestParser();
        ByteBuf buf = Unpooled.wrappedBuffer(junk);
        for (int steps = 0; steps < junk.length + 2; steps++) {
            int before = buf.readerIndex();
            int r = p.parse(buf, authRequired, MAX_BULK);
            if (r == RequestParser.NEED_MORE || r == RequestParser.PROTOCOL_ERROR) {
                if (r == RequestParser.PROTOCOL_ERROR) assertThat(p.error).startsWith("Protocol error: ");
                return;
            }
            p.reset();
            assertThat(buf.readerIndex()).as("a completed request consumes input").isGreaterThan(before);
            if (!buf.isReadable()) return;
        }
        throw new AssertionError("parser made no progress");
    }

    @Property(tries = 2000)
    void inlineSplit_neverThrows(@ForAll @Size(max = 500) byte[] line) {
        byte[][] args = RequestParser.splitArgs(line);
        if (args != null) for (byte[] a : args) assertThat(a).isNotNull();
    }
}
