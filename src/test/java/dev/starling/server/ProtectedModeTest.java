package dev.starling.server;

import dev.starling.protocol.Errors;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Protected mode: who counts as local, and the refusal text byte for byte. */
class ProtectedModeTest {

    @Test
    void isLocalAddress_loopbackOnly() throws Exception {
        assertThat(Server.isLocalAddress(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 1))).isTrue();
        assertThat(Server.isLocalAddress(new InetSocketAddress(InetAddress.getByName("127.5.6.7"), 1))).isTrue();
        assertThat(Server.isLocalAddress(new InetSocketAddress(InetAddress.getByName("::1"), 1))).isTrue();
        assertThat(Server.isLocalAddress(new InetSocketAddress(InetAddress.getByName("10.1.2.3"), 1))).isFalse();
        assertThat(Server.isLocalAddress(new InetSocketAddress(InetAddress.getByName("fe80::1"), 1))).isFalse();
    }

    @Test
    void deniedText_isTheOneInRedisServerBinary() throws Exception {
        byte[] bin = Files.readAllBytes(Path.of("/usr/bin/redis-server"));
        byte[] text = (Errors.DENIED_PROTECTED + "\r\n").getBytes(StandardCharsets.US_ASCII);
        assertThat(indexOf(bin, text)).isNotNegative();
        assertThat(indexOf(bin, ("-ERR " + Errors.MAX_CLIENTS + "\r\n").getBytes(StandardCharsets.US_ASCII))).isNotNegative();
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        return -1;
    }
}
