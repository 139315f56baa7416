package dev.starling.command;

import dev.starling.server.Client;

/** Redis's addReplyHelp, shared by every container command's HELP. */
public final class Help {
    private Help() {}

    /** Replies the header line, the lines, then HELP, all as status replies. */
    public static void reply(Client c, String command, String[] lines) {
        c.addReplyArrayLen(lines.length + 3);
        c.addReplyStatus(command + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
        for (String l : lines) c.addReplyStatus(l);
        c.addReplyStatus("HELP");
        c.addReplyStatus("    Prints this help.");
    }
}
