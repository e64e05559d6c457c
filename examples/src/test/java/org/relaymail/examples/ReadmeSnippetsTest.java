package org.relaymail.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Keeps the README's code samples identical to the example sources they are taken from: each
 * block after {@code <!-- snippet: PATH#TAG -->} must equal the lines between {@code // tag::TAG[]}
 * and {@code // end::TAG[]} in PATH (common indentation removed).
 */
class ReadmeSnippetsTest {
  private static final Pattern BLOCK = Pattern.compile(
      "<!-- snippet: (\\S+)#(\\S+) -->\\n```java\\n(.*?)```\\n<!-- /snippet -->", Pattern.DOTALL);

  @Test
  void everySnippetMatchesItsSource() throws Exception {
    Path root = Path.of("").toAbsolutePath().getParent();
    String readme = Files.readString(root.resolve("README.md"), StandardCharsets.UTF_8);
    Matcher m = BLOCK.matcher(readme);
    int n = 0;
    while (m.find()) {
      n++;
      String source = Files.readString(root.resolve(m.group(1)), StandardCharsets.UTF_8);
      assertEquals(region(source, m.group(2), m.group(1)), m.group(3),
          "README snippet " + m.group(1) + "#" + m.group(2) + " differs from its source; copy it again");
    }
    assertTrue(n >= 6, "expected the README's six snippets, found " + n);
  }

  @Test
  void theReadmeKeepsTheCommandsCiAndUsersRun() throws Exception {
    Path root = Path.of("").toAbsolutePath().getParent();
    String readme = Files.readString(root.resolve("README.md"), StandardCharsets.UTF_8);
    assertTrue(readme.contains("\n./mvnw -B verify\n"), "the test command .ci/run runs");
    assertTrue(readme.contains("\n./mvnw -B -q -pl examples -am package -DskipTests -Pdemo\n"), "the demo command");
    assertTrue(Files.readString(root.resolve(".ci/run")).contains("test_command() { ./mvnw -B verify; }"));
  }

  static String region(String source, String tag, String path) {
    Matcher m = Pattern.compile("(?m)^[ \\t]*// tag::" + Pattern.quote(tag) + "\\[\\]\\n(.*?)^[ \\t]*// end::"
        + Pattern.quote(tag) + "\\[\\]", Pattern.DOTALL).matcher(source);
    assertTrue(m.find(), "no region " + tag + " in " + path);
    String[] lines = m.group(1).split("\n", -1);
    int indent = Integer.MAX_VALUE;
    for (String l : lines) {
      if (!l.isBlank()) {
        indent = Math.min(indent, l.length() - l.stripLeading().length());
      }
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < lines.length - 1; i++) {      // the region ends with a newline
      String l = lines[i];
      sb.append(l.isBlank() ? "" : l.substring(indent)).append('\n');
    }
    return sb.toString().replaceAll("\\n+$", "\n");
  }
}
