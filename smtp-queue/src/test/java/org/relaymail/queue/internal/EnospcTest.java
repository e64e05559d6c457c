package org.relaymail.queue.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full disk, for real: the file store on a 3 MiB tmpfs mounted in a private mount namespace
 * ({@code unshare -Urm}, no root needed outside it). Skips where user namespaces are not allowed,
 * unless {@code CI=true}.
 */
class EnospcTest {
  @TempDir
  Path dir;

  @Test
  void aFullDiskRefusesEnqueueClearlyAndLosesNothing() throws Exception {
    Path mount = Files.createDirectories(dir.resolve("tmpfs"));
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    boolean ci = "true".equals(System.getenv("CI"));
    Process probe;
    try {
      probe = new ProcessBuilder("unshare", "-Urm", "true").redirectErrorStream(true).start();
    } catch (java.io.IOException e) {
      Assumptions.assumeTrue(ci, "unshare is not installed: " + e.getMessage());
      throw e;
    }
    assertTrue(probe.waitFor(60, TimeUnit.SECONDS));
    String probeOut = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (probe.exitValue() != 0) {
      Assumptions.assumeTrue(ci, "user namespaces are not allowed here (unshare -Urm): " + probeOut);
    }
    Path classPathFile = dir.resolve("cp.txt");
    Files.writeString(classPathFile, classPath);
    String script = "mount -t tmpfs -o size=3m tmpfs \"$1\" && exec \"$2\" -Xmx128m -XX:TieredStopAtLevel=1 -cp \"$(cat \"$3\")\" "
        + EnospcWorker.class.getName() + " \"$1\"";
    Process p = new ProcessBuilder(List.of("unshare", "-Urm", "sh", "-c", script, "sh", mount.toString(), java,
        classPathFile.toString())).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the ENOSPC worker did not finish");
    assertEquals(0, p.exitValue(), "ENOSPC worker failed:\n" + output);
    assertTrue(output.contains("OK all"), output);
    System.out.println(output);
  }
}
