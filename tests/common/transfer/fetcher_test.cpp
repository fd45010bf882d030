#include "common/transfer/fetcher.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>

#include "common/util/error.hpp"
#include "common/util/sha256.hpp"
#include "common/util/text_file.hpp"
#include "support/http_server.hpp"
#include "support/random_bytes.hpp"
#include "support/temp_dir.hpp"

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
