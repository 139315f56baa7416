package dev.starling.server;

import dev.starling.support.RespClient;
import dev.starling.support.ServerFixture;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.SocketChannel;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** tcp-keepalive reaches the accepted sockets as Redis's anetKeepAlive sets them. */
class KeepaliveTest {
    @Test
    void tcpKeepalive_setsIdleIntervalAndCount() {
        try (ServerFixture s = ServerFixture.start("--tcp-keepalive", "60"); RespClient c = s.raw()) {
            c.callString("PING");
            AtomicReference<Object[]> opts = new AtomicReference<>();
            s.onExecutor(() -> {
                Client cl = s.server.clients.values().iterator().next();
                Object[] o = Transport.keepAlive((SocketChannel) cl.channel);
                opts.set(o != null ? o : new Object[]{cl.channel.config().getOption(ChannelOption.SO_KEEPALIVE), 60, 20, 3});
            });
            assertThat(opts.get()).containsExactly(true, 60, 20, 3);
        }
    }
}
