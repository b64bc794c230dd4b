package dev.automq.minidfs;

import java.io.File;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.HdfsConfiguration;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.log4j.ConsoleAppender;
import org.apache.log4j.Level;
import org.apache.log4j.LogManager;
import org.apache.log4j.Logger;
import org.apache.log4j.PatternLayout;

import sun.misc.Signal;

/**
 * A real HDFS in one JVM for automq's tests: one namenode and one datanode, everything on 127.0.0.1.
 *
 * <pre>
 *   MiniDfsMain DATA_DIR [RPC_PORT [HTTP_PORT]]   serve until killed; prints "Ready!" and writes DATA_DIR/ready
 *                                                  and a client configuration folder DATA_DIR/conf
 *   MiniDfsMain --check URI                        write, read back and delete a small file through a real client
 * </pre>
 *
 * The datanode registers as 127.0.0.1 so that clients outside Java (which connect to the address the namenode
 * hands out) reach it. SIGTERM shuts the cluster down cleanly.
 */
public final class MiniDfsMain {
    private MiniDfsMain() {}

    public static void main(String[] args) throws Exception {
        quietLogging();
        if (args.length == 2 && args[0].equals("--check")) {
            check(URI.create(args[1]));
            return;
        }
        if (args.length < 1 || args.length > 3 || args[0].startsWith("-")) {
            System.err.println("usage: MiniDfsMain DATA_DIR [RPC_PORT [HTTP_PORT]] | MiniDfsMain --check URI");
            System.exit(2);
        }
        File dataDir = new File(args[0]).getAbsoluteFile();
        int rpcPort = args.length > 1 ? Integer.parseInt(args[1]) : 8020;
        int httpPort = args.length > 2 ? Integer.parseInt(args[2]) : 9870;
        serve(dataDir, rpcPort, httpPort);
    }

    private static void serve(File dataDir, int rpcPort, int httpPort) throws Exception {
        Files.createDirectories(dataDir.toPath());
        new File(dataDir, "ready").delete();

        Configuration conf = new HdfsConfiguration();
        conf.set("dfs.replication", "1");
        conf.set("dfs.permissions.enabled", "false");
        // Advertise the datanode by its loopback address, never by the machine's name.
        conf.set("dfs.datanode.hostname", "127.0.0.1");
        conf.set("dfs.client.use.datanode.hostname", "false");
        conf.set("dfs.namenode.rpc-bind-host", "127.0.0.1");
        conf.set("dfs.namenode.http-bind-host", "127.0.0.1");
        // Small blocks keep test files cheap; tests that want bigger blocks can ask per file.
        conf.set("dfs.blocksize", "16777216");
        // A single datanode: never try to replace a failed one in a write pipeline.
        conf.set("dfs.client.block.write.replace-datanode-on-failure.enable", "false");
        // Quick heartbeats so the datanode is seen live soon after start.
        conf.set("dfs.heartbeat.interval", "1");
        conf.set("dfs.namenode.safemode.extension", "0");
        // Let a file close while its last block is committed but not yet reported by the datanode; otherwise every
        // close waits for the client's first retry of `complete` (about half a second per small write).
        conf.set("dfs.namenode.file.close.num-committed-allowed", "1");

        // Stop on SIGTERM/SIGINT from the main thread rather than in a JVM shutdown hook: Hadoop's own shutdown
        // hooks refuse changes once the JVM is exiting and the datanode then dies with stack traces.
        CountDownLatch stop = new CountDownLatch(1);
        Signal.handle(new Signal("TERM"), sig -> stop.countDown());
        Signal.handle(new Signal("INT"), sig -> stop.countDown());

        MiniDFSCluster cluster = new MiniDFSCluster.Builder(conf, dataDir)
                .nameNodePort(rpcPort)
                .nameNodeHttpPort(httpPort)
                .numDataNodes(1)
                .storagesPerDatanode(1)
                .format(true)
                .build();

        cluster.waitActive();
        cluster.waitClusterUp();

        String url = "hdfs://127.0.0.1:" + cluster.getNameNodePort();
        // A client configuration folder: put it first on a Java client's classpath (Hadoop's FsShell insists on
        // finding a core-site.xml there). dfs.* keys go to hdfs-site.xml: hdfs-default.xml loads after
        // core-site.xml and would override them there.
        File confDir = new File(dataDir, "conf");
        Files.createDirectories(confDir.toPath());
        Configuration coreSite = new Configuration(false);
        coreSite.set("fs.defaultFS", url);
        writeXml(coreSite, new File(confDir, "core-site.xml"));
        Configuration hdfsSite = new Configuration(false);
        hdfsSite.set("dfs.replication", "1");
        hdfsSite.set("dfs.client.use.datanode.hostname", "false");
        hdfsSite.set("dfs.client.block.write.replace-datanode-on-failure.enable", "false");
        writeXml(hdfsSite, new File(confDir, "hdfs-site.xml"));
        Files.write(new File(dataDir, "ready").toPath(), (url + "\n").getBytes(StandardCharsets.UTF_8));
        System.out.println("HDFS namenode " + url + ", web UI http://127.0.0.1:" + httpPort
                + ", datanodes " + cluster.getDataNodes().size() + ", data in " + dataDir);
        System.out.println("Ready!");
        System.out.flush();

        stop.await();
        System.out.println("Shutting down the HDFS cluster");
        cluster.shutdown();
        System.out.println("Stopped");
        System.out.flush();
        System.exit(0);
    }

    private static void writeXml(Configuration conf, File file) throws Exception {
        try (OutputStream out = new FileOutputStream(file)) {
            conf.writeXml(out);
        }
    }

    private static void check(URI uri) throws Exception {
        Configuration conf = new HdfsConfiguration();
        conf.set("dfs.client.use.datanode.hostname", "false");
        conf.set("dfs.replication", "1");
        conf.set("ipc.client.connect.max.retries", "2");
        byte[] payload = ("automq hdfs round trip " + System.nanoTime() + "\n").repeat(1000)
                .getBytes(StandardCharsets.UTF_8);
        Path path = new Path("/automq-check/" + System.nanoTime() + ".bin");
        try (FileSystem fs = FileSystem.newInstance(uri, conf)) {
            try (FSDataOutputStream out = fs.create(path, false)) {
                out.write(payload);
            }
            byte[] back = new byte[payload.length];
            try (FSDataInputStream in = fs.open(path)) {
                in.readFully(0, back);
            }
            if (!Arrays.equals(payload, back)) {
                throw new IllegalStateException("read back different bytes from " + path);
            }
            long len = fs.getFileStatus(path).getLen();
            fs.delete(path, false);
            System.out.println("OK: wrote, read back and deleted " + len + " bytes at " + uri + path);
        }
    }

    /** Warnings and errors only, on stderr; the cluster's own INFO lines are thousands per start. */
    private static void quietLogging() {
        LogManager.resetConfiguration();
        ConsoleAppender appender = new ConsoleAppender(
                new PatternLayout("%d{HH:mm:ss.SSS} %-5p %c{1}: %m%n"), ConsoleAppender.SYSTEM_ERR);
        Logger root = Logger.getRootLogger();
        root.addAppender(appender);
        root.setLevel(Level.WARN);
        Logger.getLogger("org.apache.hadoop.util.NativeCodeLoader").setLevel(Level.ERROR);
        Logger.getLogger("org.apache.hadoop.metrics2").setLevel(Level.ERROR);
    }
}
