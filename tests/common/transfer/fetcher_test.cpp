#include "common/transfer/fetcher.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>

#include "common/util/error.hpp"
#include "common/util/sha256.hpp"
#include "common/util/text_file.hpp"
#include "support/hostile_registry.hpp"
#include "support/http_server.hpp"
#include "support/random_bytes.hpp"
#include "support/temp_dir.hpp"
#include "support/tmpfs_mount.hpp"

using namespace trustnet;
namespace fs = std::filesystem;

namespace {

#define CHECK_THAT(line, expected) CHECK_MESSAGE(std::string(line).find(expected) != std::string::npos, line)

size_t count_requests(const test::HttpServer& server, const std::string& uri_prefix) {
  auto log = server.log();
  return static_cast<size_t>(
      std::count_if(log.begin(), log.end(), [&](const std::string& line) { return line.starts_with(uri_prefix); }));
}

// A server, a cache and a quiet fetcher with short back-off, for one test.
struct Setup {
  test::TempDir dir;
  test::HttpServer server{dir.path() / "www", dir.path() / "nginx"};
  InputCache cache{dir.path() / "cache"};
  TransferDisplay display{Verbosity::quiet, false};
  FetchOptions options{.offline = false, .retries = 2, .first_backoff = std::chrono::milliseconds(10)};

  std::string serve(const std::string& name, const std::string& content) {
    dir.write("www/" + name, content);
    return content;
  }
  FetchOutcome fetch(const std::string& url, const std::string& sha256) {
    Fetcher fetcher(cache, options, display);
    return fetcher.fetch({"binary tool", url, sha256});
  }
  // The one line the user would see.
  std::string failure(const std::string& url, const std::string& sha256) {
    try {
      fetch(url, sha256);
    } catch (const Error& e) {
      return e.line();
    }
    return "no error";
  }
};

}  // namespace

TEST_CASE("a download enters the cache read-only once its digest matches, and a second fetch makes no request") {
  Setup s;
  const std::string content = s.serve("tool.tar.gz", test::random_bytes(3 << 20, 3));
  const std::string digest = sha256_hex(content);
  CHECK(s.fetch(s.server.url("/files/tool.tar.gz"), digest) == FetchOutcome::downloaded);
  REQUIRE(s.cache.has(digest));
  CHECK(read_text_file(s.cache.entry(digest)) == content);
  struct stat st {};
  REQUIRE(::stat(s.cache.entry(digest).c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0444);
  CHECK_FALSE(fs::exists(s.cache.partial(digest)));

  CHECK(s.fetch(s.server.url("/files/tool.tar.gz"), digest) == FetchOutcome::cached);
  CHECK(count_requests(s.server, "/files/tool.tar.gz") == 1);
}

TEST_CASE("a checksum mismatch names the URL and both digests, and nothing is cached") {
  Setup s;
  const std::string content = s.serve("tool.tar.gz", "not the pinned release\n");
  const std::string pinned = sha256_hex("the pinned release\n");
  const std::string url = s.server.url("/files/tool.tar.gz");
  CHECK_THAT(s.failure(url, pinned),
             fmt::format("fetch binary tool: {}: sha256 is {}, but the recipe pins {}; nothing was cached", url,
                         sha256_hex(content), pinned));
  CHECK_FALSE(s.cache.has(pinned));
  CHECK_FALSE(s.cache.has(sha256_hex(content)));
  CHECK_FALSE(fs::exists(s.cache.partial(pinned)));
}

TEST_CASE("an interrupted download resumes with a Range request for the bytes after the partial file") {
  Setup s;
  const std::string content = s.serve("big.bin", test::random_bytes(2 << 20, 4));
  const std::string digest = sha256_hex(content);
  // What an interrupted transfer leaves behind: the first part of the file.
  fs::create_directories(s.cache.partial(digest).parent_path());
  std::ofstream(s.cache.partial(digest), std::ios::binary) << content.substr(0, 700000);
  CHECK(s.fetch(s.server.url("/files/big.bin"), digest) == FetchOutcome::downloaded);
  CHECK(read_text_file(s.cache.entry(digest)) == content);
  auto log = s.server.log();
  REQUIRE(log.size() == 1);
  CHECK(log[0] == "/files/big.bin 206 \"bytes=700000-\"");
}

TEST_CASE("a redirect is followed to the file") {
  Setup s;
  const std::string digest = sha256_hex(s.serve("tool.tar.gz", "release\n"));
  CHECK(s.fetch(s.server.url("/moved/tool.tar.gz"), digest) == FetchOutcome::downloaded);
  auto log = s.server.log();
  REQUIRE(log.size() == 2);
  CHECK(log[0].starts_with("/moved/tool.tar.gz 302"));
  CHECK(log[1].starts_with("/files/tool.tar.gz 200"));
}

TEST_CASE("HTTP 404 is reported at once, naming the URL, without retries") {
  Setup s;
  const std::string url = s.server.url("/files/missing.tar.gz");
  CHECK_THAT(s.failure(url, sha256_hex("x")), fmt::format("fetch binary tool: {}: HTTP 404", url));
  CHECK(count_requests(s.server, "/files/missing.tar.gz") == 1);
}

TEST_CASE("a transient HTTP 503 is retried a bounded number of times, then reported") {
  Setup s;
  const std::string url = s.server.url("/fail/tool.tar.gz");
  CHECK_THAT(s.failure(url, sha256_hex("x")), fmt::format("{}: HTTP 503 (gave up after 3 attempts)", url));
  CHECK(count_requests(s.server, "/fail/tool.tar.gz") == 3);
  CHECK_FALSE(fs::exists(s.cache.partial(sha256_hex("x"))));
}

TEST_CASE("a refused connection is reported clearly after the retries") {
  Setup s;
  s.options.retries = 1;
  const std::string url = "http://127.0.0.1:" + std::to_string(test::free_loopback_port()) + "/tool.tar.gz";
  CHECK_THAT(s.failure(url, sha256_hex("x")), "Couldn't connect to server (gave up after 2 attempts)");
  CHECK_THAT(s.failure(url, sha256_hex("x")), url);
}

TEST_CASE("an HTTPS server whose certificate is not trusted is refused, and nothing is cached") {
  Setup s;
  const std::string digest = sha256_hex(s.serve("tool.tar.gz", "release\n"));
  CHECK_THAT(s.failure(s.server.https_url("/files/tool.tar.gz"), digest), "SSL certificate problem");
  CHECK_FALSE(s.cache.has(digest));
  CHECK(s.server.log().empty());  // the handshake failed before any request
}

TEST_CASE("file:// URLs are fetched and verified the same way") {
  Setup s;
  const fs::path local = s.dir.write("local/tool.tar.gz", "local release\n");
  const std::string url = "file://" + local.string();
  CHECK_THAT(s.failure(url, sha256_hex("other\n")), "sha256 is " + sha256_hex("local release\n"));
  CHECK(s.fetch(url, sha256_hex("local release\n")) == FetchOutcome::downloaded);
  CHECK(read_text_file(s.cache.entry(sha256_hex("local release\n"))) == "local release\n");
}

TEST_CASE("offline, a fetch that would need the network fails and names what is missing") {
  Setup s;
  s.options.offline = true;
  const std::string digest = sha256_hex(s.serve("tool.tar.gz", "release\n"));
  CHECK_THAT(s.failure(s.server.url("/files/tool.tar.gz"), digest),
             "offline, and " + s.server.url("/files/tool.tar.gz") + " (sha256:" + digest + ") is not in the cache");
  CHECK(s.server.log().empty());
}

TEST_CASE("a download is capped at its declared size: a longer file is refused and nothing of it is kept") {
  Setup s;
  const std::string content = s.serve("layer", test::random_bytes(300 << 10, 7));
  Fetcher fetcher(s.cache, s.options, s.display);
  Download layer{"layer", s.server.url("/files/layer"), sha256_hex(content.substr(0, 680)), "the manifest", {}, 680};
  try {
    fetcher.fetch(layer);
    FAIL("a 300 KiB answer to a 680-byte layer was accepted");
  } catch (const Error& e) {
    CHECK_THAT(e.line(), "the server announced more than the 680 bytes expected of it; refused");
  }
  CHECK_FALSE(fs::exists(s.cache.partial(layer.sha256)));
  CHECK(count_requests(s.server, "/files/layer") == 1);  // refused, not retried
}

TEST_CASE("a write that fails on a full cache filesystem names the file and the reason, and leaves no partial file") {
  test::TempDir dir;
  test::HttpServer server(dir / "www", dir / "nginx");
  dir.write("www/image", test::random_bytes(4 << 20, 8));
  test::TmpfsMount small(dir / "small", 1 << 20);
  InputCache cache(small.path() / "cache");
  TransferDisplay display(Verbosity::quiet, false);
  Fetcher fetcher(cache, FetchOptions{.retries = 0}, display);
  const std::string sha256 = sha256_file(dir / "www/image");
  try {
    fetcher.fetch({"image", server.url("/files/image"), sha256});
    FAIL("a 4 MiB download fitted on a 1 MiB filesystem");
  } catch (const Error& e) {
    CHECK_THAT(e.line(), "cannot write " + cache.partial(sha256).string() + ": No space left on device");
    CHECK_THAT(e.line(), "(removed " + cache.partial(sha256).string() + ")");
  }
  CHECK_FALSE(fs::exists(cache.partial(sha256)));
}

TEST_CASE("a server that trickles is dropped by the low-speed limit, and the deadline ends any download") {
  test::HostileRegistry trickle("trickle");
  test::TempDir dir;
  InputCache cache(dir / "cache");
  TransferDisplay display(Verbosity::quiet, false);
  const std::string url = "https://" + trickle.host() + "/blob";
  const std::string pin(64, 'a');

  FetchOptions slow{.retries = 1, .first_backoff = std::chrono::milliseconds(10), .tls = {trickle.ca_file()}};
  slow.low_speed_seconds = 2;  // 2.5 kB/s is under the 10 KiB/s limit
  const auto started = std::chrono::steady_clock::now();
  try {
    Fetcher(cache, slow, display).fetch({"blob", url, pin});
    FAIL("a trickling download ended well");
  } catch (const Error& e) {
    CHECK_THAT(e.line(), "gave up after 2 attempts");
  }
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(20));

  FetchOptions deadline{.retries = 3, .tls = {trickle.ca_file()}};
  deadline.low_speed_bytes = 100;  // the trickle passes this one: only the deadline ends it
  deadline.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  deadline.deadline_name = "the test's 3 s";
  try {
    Fetcher(cache, deadline, display).fetch({"blob", url, pin});
    FAIL("a trickling download outlived its deadline");
  } catch (const Error& e) {
    CHECK_THAT(e.line(), "not finished when the time allowed ran out (the test's 3 s)");
  }

  // A trickle that goes past the size it was declared is cut there.
  try {
    Fetcher(cache, slow, display).fetch({"blob", url, pin, "the manifest", {}, 680});
    FAIL("more than 680 bytes were taken");
  } catch (const Error& e) {
    CHECK_THAT(e.line(), "the server sent more than the 680 bytes expected of it; refused");
  }
  CHECK_FALSE(fs::exists(cache.partial(pin)));
}

TEST_CASE("a cache another user could write, or with a link planted as a partial file, is refused before any write") {
  Setup s;
  const std::string content = s.serve("tool", "the tool\n");
  const std::string sha256 = sha256_hex(content);
  const fs::path victim = s.dir.write("victim", "root's file\n");
  fs::create_directories(s.cache.root() / "partial");
  fs::create_symlink(victim, s.cache.partial(sha256));
  try {
    s.fetch(s.server.url("/files/tool"), sha256);
    FAIL("a planted link was followed");
  } catch (const Error& e) {
    CHECK_THAT(e.line(), s.cache.partial(sha256).string() + " is a symbolic link");
  }
  CHECK(read_text_file(victim) == "root's file\n");
  fs::remove(s.cache.partial(sha256));

  fs::permissions(s.cache.root() / "partial", fs::perms(0777));
  try {
    s.fetch(s.server.url("/files/tool"), sha256);
    FAIL("a cache folder anyone can write was used");
  } catch (const Error& e) {
    CHECK_THAT(e.line(), (s.cache.root() / "partial").string() + " is writable by its group or others (mode 0777)");
    CHECK_THAT(e.line(), "a cache of verified downloads must be yours alone");
  }
  fs::permissions(s.cache.root() / "partial", fs::perms(0755));
  CHECK(s.fetch(s.server.url("/files/tool"), sha256) == FetchOutcome::downloaded);
}
