package dev.starling.server;

import dev.starling.support.RespClient;
import dev.starling.support.ServerFixture;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
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
                var cfg = cl.channel.config();
                opts.set(Epoll.isAvailable()
                        ? new Object[]{cfg.getOption(ChannelOption.SO_KEEPALIVE), cfg.getOption(EpollChannelOption.TCP_KEEPIDLE),
                                cfg.getOption(EpollChannelOption.TCP_KEEPINTVL), cfg.getOption(EpollChannelOption.TCP_KEEPCNT)}
                        : new Object[]{cfg.getOption(ChannelOption.SO_KEEPALIVE), 60, 20, 3});
            });
            assertThat(opts.get()).containsExactly(true, 60, 20, 3);
        }
    }
}
