package dev.starling.protocol;

import dev.starling.support.RespClient;
import dev.starling.support.ServerFixture;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.constraints.Size;

import java.io.OutputStream;
import java.net.Socket;

import static org.assertj.core.api.Assertions.assertThat;

/** Whatever a client sends, the server keeps serving everyone else. */
class GarbageInputTest {
    static ServerFixture server;
    static RespClient observer;

    @BeforeContainer
    static void start() {
        server = ServerFixture.start();
        observer = server.raw();
    }

    @AfterContainer
    static void stop() {
        observer.close();
        server.close();
    }

    @Property(tries = 200)
    void randomBytesOnAConnection_leaveTheServerServingOthers(@ForAll @Size(max = 4000) byte[] junk) throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            OutputStream out = s.getOutputStream();
            out.write(junk);
            out.flush();
        }
        assertThat(observer.callString("PING")).isEqualTo("+PONG\r\n");
    }
}
