package dev.mod4j.server;

import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.image.DecodedImage;
import dev.mod4j.loaders.image.ImageDecoder;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

/**
 * The images of a request, from their URLs: {@code data:image/png;base64,...} and {@code data:image/jpeg;base64,...}
 * always; {@code file:} only under the directory named at start-up; {@code http(s):} only when the server allows
 * them, with the same size limit and a timeout. Every problem is a 400 naming the content part.
 */
final class ImageUrls {
    private final ServerSettings settings;
    private final HttpClient http;
    private final Path imageRoot;

    ImageUrls(ServerSettings settings) {
        this.settings = settings;
        this.http = settings.remoteImages()
                ? HttpClient.newBuilder().connectTimeout(settings.remoteImageTimeout())
                .followRedirects(HttpClient.Redirect.NORMAL).build()
                : null;
        try {
            this.imageRoot = settings.imageDirectory() == null ? null : settings.imageDirectory().toRealPath();
        } catch (IOException e) {
            throw new InvalidInputException("--image-dir", settings.imageDirectory() + " cannot be read: " + e.getMessage());
        }
    }

    /** The decoded image at {@code url}; {@code where} names the content part in messages. */
    DecodedImage decode(String url, String where) {
        byte[] bytes = bytes(url, where);
        // ImageDecoder reads files (its JPEG header scan, ImageIO's file stream): the bytes go through a temporary one.
        Path file = null;
        try {
            file = Files.createTempFile("mod4j-serve-", ".img");
            Files.write(file, bytes);
            return new ImageDecoder().read(file);
        } catch (InvalidInputException e) {
            throw ApiError.invalidRequest(where, "'" + where + "' is not a readable PNG or JPEG: " + e.problem());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException ignored) {
                    // a temporary file left behind is removed with the temporary directory
                }
            }
        }
    }

    private byte[] bytes(String url, String where) {
        String scheme = url.contains(":") ? url.substring(0, url.indexOf(':')).toLowerCase() : "";
        return switch (scheme) {
            case "data" -> dataUrl(url, where);
            case "file" -> file(url, where);
            case "http", "https" -> download(url, where);
            default -> throw ApiError.invalidRequest(where, "'" + where + "' must be a data:image/png;base64 or"
                    + " data:image/jpeg;base64 URL" + (imageRoot != null ? ", a file: URL" : "")
                    + (http != null ? ", an http(s) URL" : "") + "; got '" + abbreviate(url) + "'");
        };
    }

    private byte[] dataUrl(String url, String where) {
        int comma = url.indexOf(',');
        String header = comma < 0 ? url : url.substring(5, comma).toLowerCase();
        if (comma < 0 || !header.endsWith(";base64")
                || !(header.startsWith("image/png") || header.startsWith("image/jpeg") || header.startsWith("image/jpg"))) {
            throw ApiError.invalidRequest(where, "'" + where + "' must be data:image/png;base64,... or"
                    + " data:image/jpeg;base64,...; got '" + abbreviate(url) + "'");
        }
        long encodedLength = url.length() - comma - 1L;
        if (encodedLength / 4 * 3 > settings.maxImageBytes()) {
            throw tooLarge(where, encodedLength / 4 * 3);
        }
        try {
            byte[] bytes = Base64.getDecoder().decode(url.substring(comma + 1).strip());
            if (bytes.length == 0) {
                throw ApiError.invalidRequest(where, "'" + where + "' is an empty data URL");
            }
            return bytes;
        } catch (IllegalArgumentException e) {
            throw ApiError.invalidRequest(where, "'" + where + "' has invalid base64: " + e.getMessage());
        }
    }

    private byte[] file(String url, String where) {
        if (imageRoot == null) {
            throw ApiError.invalidRequest(where, "'" + where + "': file: URLs are refused (start the server with"
                    + " --image-dir DIR to allow files under DIR)");
        }
        Path path;
        try {
            path = Path.of(new URI(url)).toRealPath();
        } catch (URISyntaxException | IllegalArgumentException | IOException e) {
            throw ApiError.invalidRequest(where, "'" + where + "': no such file " + abbreviate(url));
        }
        if (!path.startsWith(imageRoot) || !Files.isRegularFile(path)) {
            throw ApiError.invalidRequest(where, "'" + where + "': " + abbreviate(url) + " is not a file under the"
                    + " server's image directory");
        }
        try {
            long size = Files.size(path);
            if (size > settings.maxImageBytes()) {
                throw tooLarge(where, size);
            }
            return Files.readAllBytes(path);
        } catch (IOException e) {
            throw ApiError.invalidRequest(where, "'" + where + "': cannot read " + abbreviate(url));
        }
    }

    private byte[] download(String url, String where) {
        if (http == null) {
            throw ApiError.invalidRequest(where, "'" + where + "': remote image URLs are refused (send the image as a"
                    + " data URL, or start the server with --allow-remote-images)");
        }
        try {
            HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(settings.remoteImageTimeout()).GET()
                    .build();
            HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream body = response.body()) {
                if (response.statusCode() != 200) {
                    throw ApiError.invalidRequest(where, "'" + where + "': " + abbreviate(url) + " answered HTTP "
                            + response.statusCode());
                }
                byte[] bytes = body.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, settings.maxImageBytes() + 1));
                if (bytes.length > settings.maxImageBytes()) {
                    throw tooLarge(where, bytes.length);
                }
                return bytes;
            }
        } catch (IllegalArgumentException | IOException e) {
            throw ApiError.invalidRequest(where, "'" + where + "': cannot download " + abbreviate(url) + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiError.timeout("interrupted while downloading " + abbreviate(url));
        }
    }

    private ApiError tooLarge(String where, long bytes) {
        return ApiError.invalidRequest(where, "'" + where + "' is too large: " + (bytes == settings.maxImageBytes() + 1
                ? "more than " + settings.maxImageBytes() : bytes) + " bytes, the limit is "
                + settings.maxImageBytes());
    }

    private static String abbreviate(String url) {
        return url.length() <= 64 ? url : url.substring(0, 61) + "...";
    }
}
