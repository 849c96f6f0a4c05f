// Load generator for bench/sim/run: pages through /crm/v3/objects/deals?limit=100 on
// keep-alive connections from `threads` threads for `seconds` (bounded), counts the records
// it parsed, and prints one JSON line.
// Usage: tributary-sim-bench-client BASE_URL TOKEN SECONDS THREADS
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/URI.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

int main(int argc, char** argv) {
  if (argc != 5) {
    std::cerr << "usage: tributary-sim-bench-client BASE_URL TOKEN SECONDS THREADS\n";
    return 2;
  }
  const Poco::URI base(argv[1]);
  const std::string token = argv[2];
  const double seconds = std::stod(argv[3]);
  const int threads = std::stoi(argv[4]);
  std::atomic<uint64_t> records{0}, pages{0}, failures{0};
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      Poco::Net::HTTPClientSession session(base.getHost(), base.getPort());
      session.setKeepAlive(true);
      std::string after;
      while (std::chrono::steady_clock::now() < deadline) {
        std::string path = "/crm/v3/objects/deals?limit=100";
        if (!after.empty()) path += "&after=" + after;
        Poco::Net::HTTPRequest request("GET", path, Poco::Net::HTTPMessage::HTTP_1_1);
        request.set("Authorization", "Bearer " + token);
        request.setKeepAlive(true);
        try {
          session.sendRequest(request);
          Poco::Net::HTTPResponse response;
          std::istream& in = session.receiveResponse(response);
          const std::string body{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
          if (response.getStatus() != 200) {
            ++failures;
            continue;
          }
          const auto page = nlohmann::json::parse(body);
          records += page["results"].size();
          ++pages;
          after = page.contains("paging") ? page["paging"]["next"]["after"].get<std::string>() : "";
        } catch (const std::exception& error) {
          ++failures;
          session.reset();
        }
      }
    });
  }
  for (auto& worker : workers) worker.join();
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << nlohmann::json{{"records", records.load()},
                              {"pages", pages.load()},
                              {"failures", failures.load()},
                              {"seconds", elapsed},
                              {"records_per_s", static_cast<uint64_t>(records.load() / elapsed)}}
                   .dump()
            << "\n";
  return failures.load() > 0 && records.load() == 0 ? 1 : 0;
}
