package dev.mod4j.loaders.safetensors;

/**
 * How checkpoint bytes are made available.
 * MMAP opens instantly and costs no memory until pages are touched; COPY reads the file into off-heap memory once,
 * which makes later reads faster on machines where mapped file pages are slow to read (virtual machines).
 */
public enum LoadMode {
    MMAP, COPY
}
