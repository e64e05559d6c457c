package org.relaymail.queue.internal;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.relaymail.queue.SpoolLockedException;

/** {@link Storage} on a real directory with {@link FileChannel}s. Thread-safe. */
public final class FileStorage implements Storage {
  private final Path dir;

  /**
   * Uses (and creates) a spool directory.
   *
   * @param dir the directory
   * @throws IOException if it cannot be created
   */
  public FileStorage(Path dir) throws IOException {
    this.dir = Files.createDirectories(dir);
  }

  @Override
  public StorageFile open(String name, boolean create) throws IOException {
    Path p = dir.resolve(name);
    if (create && p.getParent() != null) {
      Files.createDirectories(p.getParent());
    }
    FileChannel ch = create
        ? FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE)
        : FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
    return new ChannelFile(ch);
  }

  @Override
  public List<String> list() throws IOException {
    List<String> out = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      s.filter(Files::isRegularFile).forEach(p -> out.add(p.getFileName().toString()));
    }
    return out;
  }

  @Override
  public void delete(String name) throws IOException {
    Files.deleteIfExists(dir.resolve(name));
  }

  @Override
  public void syncDirectory() throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  @Override
  public long usableSpace() throws IOException {
    return Files.getFileStore(dir).getUsableSpace();
  }

  @Override
  public Closeable lock(String name) throws IOException {
    Path p = dir.resolve(name);
    FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE);
    FileLock lock;
    try {
      lock = ch.tryLock();
    } catch (OverlappingFileLockException e) {
      ch.close();
      throw new SpoolLockedException(p);
    } catch (IOException e) {
      ch.close();
      throw e;
    }
    if (lock == null) {
      ch.close();
      throw new SpoolLockedException(p);
    }
    return () -> {
      try {
        lock.release();
      } finally {
        ch.close();
      }
    };
  }

  @Override
  public String describe(String name) {
    return dir.resolve(name).toString();
  }

  private record ChannelFile(FileChannel ch) implements StorageFile {
    @Override
    public void write(ByteBuffer src, long position) throws IOException {
      long p = position;
      while (src.hasRemaining()) {
        p += ch.write(src, p);
      }
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
      return ch.read(dst, position);
    }

    @Override
    public long size() throws IOException {
      return ch.size();
    }

    @Override
    public void truncate(long size) throws IOException {
      ch.truncate(size);
    }

    @Override
    public void force() throws IOException {
      ch.force(false);
    }

    @Override
    public void close() throws IOException {
      ch.close();
    }
  }
}
