package dev.plexus.neo4j;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.io.ByteUnit;

/**
 * Runs Neo4j Community embedded with a Bolt connector, for machines without Docker.
 *
 * <p>Settings come from the environment so the Node side can start several isolated
 * instances (tests) or one long-lived one (npm start):
 * NEO4J_BOLT_HOST (127.0.0.1), NEO4J_BOLT_PORT (7687), NEO4J_DATA_DIR (.data/neo4j),
 * NEO4J_PLUGINS_DIR (target/plugins next to the jar), NEO4J_PAGECACHE (256m),
 * NEO4J_TX_MEMORY (1g), NEO4J_DENSE_NODE_THRESHOLD (10), NEO4J_PASSWORD_FILE
 * (&lt;data dir&gt;/plexus-neo4j-password).
 *
 * <p>Authentication is on: the {@code neo4j} user's password is the content of
 * NEO4J_PASSWORD_FILE, generated (mode 0600) when the file does not exist, and set on every
 * start before the ready line, so nothing else on the machine can use the Bolt port without it.
 *
 * <p>The dense-node threshold ({@code db.relationship_grouping_threshold}, Neo4j's default 50):
 * a node with more relationships than this keeps them grouped by type and direction. Catalog
 * nodes have a few dozen relationships of many types (a library with 40 dependents, 2 owners,
 * 3 vulnerabilities), and scorecard rules and impact queries follow one type at a time: with
 * grouping they read only that type's chain instead of every relationship of the node. See
 * bench/RESULTS.md (scorecards) for the measured effect.
 *
 * <p>Prints exactly one line {@code PLEXUS_NEO4J_READY bolt://host:port} on stdout once
 * Bolt accepts connections, and shuts the database down cleanly on SIGTERM/SIGINT.
 *
 * <p>With NEO4J_EXIT_WITH_PARENT=1 (set by the Node side) the JVM never outlives the process
 * that started it, even when that process is killed with SIGKILL: a daemon thread reads stdin
 * (a pipe from the parent, which the kernel closes when the parent dies) and another polls the
 * parent pid; either one exits (shutdown hook: clean database shutdown, halted after 20 s).
 * The pid is written to {@code plexus-neo4j.pid} in the data directory so a caller can name the
 * process that still holds the store lock.
 */
public final class Launcher {
    private Launcher() {}

    public static void main(String[] args) throws Exception {
        String host = env("NEO4J_BOLT_HOST", "127.0.0.1");
        int port = Integer.parseInt(env("NEO4J_BOLT_PORT", "7687"));
        Path dataDir = Path.of(env("NEO4J_DATA_DIR", ".data/neo4j")).toAbsolutePath();
        Path pluginsDir = Path.of(env("NEO4J_PLUGINS_DIR", "target/plugins")).toAbsolutePath();
        long pageCache = ByteUnit.parse(env("NEO4J_PAGECACHE", "256m"));
        long txMemory = ByteUnit.parse(env("NEO4J_TX_MEMORY", "1g"));
        int denseNodeThreshold = Integer.parseInt(env("NEO4J_DENSE_NODE_THRESHOLD", "10"));

        Files.createDirectories(dataDir);
        Files.writeString(dataDir.resolve("plexus-neo4j.pid"), ProcessHandle.current().pid() + "\n");
        if ("1".equals(System.getenv("NEO4J_EXIT_WITH_PARENT"))) exitWithParent();
        String password = readOrCreatePassword(Path.of(env("NEO4J_PASSWORD_FILE", dataDir.resolve("plexus-neo4j-password").toString())));
        if (!Files.isDirectory(pluginsDir)) {
            System.err.println("plugins directory " + pluginsDir + " is missing: run neo4j/start.sh once to build it");
            System.exit(2);
        }

        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(dataDir)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress(host, port))
                .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
                .setConfig(HttpConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                .setConfig(GraphDatabaseSettings.plugin_dir, pluginsDir)
                .setConfig(GraphDatabaseSettings.procedure_unrestricted, List.of("apoc.*"))
                .setConfig(GraphDatabaseSettings.procedure_allowlist, List.of("*"))
                .setConfig(GraphDatabaseSettings.pagecache_memory, pageCache)
                .setConfig(GraphDatabaseSettings.memory_transaction_global_max_size, txMemory)
                .setConfig(GraphDatabaseSettings.transaction_timeout, Duration.ofMinutes(5))
                .setConfig(GraphDatabaseSettings.dense_node_threshold, denseNodeThreshold)
                .build();

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                dbms.shutdown();
            } finally {
                stopped.countDown();
            }
        }, "plexus-neo4j-shutdown"));

        // Until this runs the neo4j user has the default password, which must be changed before
        // any query: a client guessing it in this window can do nothing but change it, and this
        // sets it again.
        try {
            dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME)
                    .executeTransactionally("ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED", Map.of("password", password));
        } catch (RuntimeException e) {
            if (!String.valueOf(e.getMessage()).contains("Old password and new password cannot be the same")) throw e;
        }
        // Touch the default database so the first client does not pay for its start-up.
        dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME).executeTransactionally("RETURN 1");
        System.out.println("PLEXUS_NEO4J_READY bolt://" + host + ":" + port);
        System.out.flush();
        stopped.await();
    }

    /** Exits when stdin reaches EOF or the parent process goes away (see the class comment). */
    private static void exitWithParent() {
        long parentPid = ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(-1L);
        Thread stdin = new Thread(() -> {
            byte[] buf = new byte[256];
            try {
                while (System.in.read(buf) >= 0) {
                    // Nothing is sent on this pipe; it only tells us when the parent is gone.
                }
            } catch (Exception ignored) {
                // A broken pipe means the same as EOF.
            }
            leave("stdin closed: the parent process is gone");
        }, "plexus-neo4j-stdin-watch");
        stdin.setDaemon(true);
        stdin.start();
        Thread poll = new Thread(() -> {
            while (true) {
                long now = ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(-1L);
                if (now != parentPid) leave("parent process " + parentPid + " is gone");
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "plexus-neo4j-parent-watch");
        poll.setDaemon(true);
        poll.start();
    }

    private static synchronized void leave(String why) {
        System.err.println("neo4j: " + why + "; shutting down");
        Thread halt = new Thread(() -> {
            try {
                Thread.sleep(20_000);
            } catch (InterruptedException ignored) {
                // fall through
            }
            Runtime.getRuntime().halt(3);
        }, "plexus-neo4j-halt");
        halt.setDaemon(true);
        halt.start();
        System.exit(3);
    }

    /** The password in {@code file}, or a new random one written there with mode 0600. */
    private static String readOrCreatePassword(Path file) throws java.io.IOException {
        if (Files.exists(file)) {
            String existing = Files.readString(file).trim();
            if (existing.length() < 8) throw new IllegalStateException(file + " holds a password shorter than 8 characters");
            return existing;
        }
        byte[] bytes = new byte[24];
        new SecureRandom().nextBytes(bytes);
        String password = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, password);
        return password;
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }
}
