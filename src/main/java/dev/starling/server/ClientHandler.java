package dev.starling.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Netty's side of a connection: feeds bytes to the server and flushes replies once per read batch,
 * so a pipeline of N commands costs one write. Runs on the executor loop, as everything does.
 */
final class ClientHandler extends ChannelInboundHandlerAdapter {
    private final Server server;
    private Client client;

    ClientHandler(Server server) {
        this.server = server;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        client = server.acceptClient(ctx.channel());
        if (client != null) ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        if (client == null || client.has(Client.CLOSE_AFTER_REPLY) || client.has(Client.CLOSE_ASAP)) {
            in.release();
            return;
        }
        server.readFromClient(client, in);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (client != null) server.afterRead(client);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (client != null) server.freeClient(client);
        client = null;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Connection resets and the like: the client is gone, as in Redis's read error path.
        if (client != null) server.log.verbose("Client closed connection " + cause.getMessage());
        ctx.close();
    }
}
