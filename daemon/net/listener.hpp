#pragma once

#include <functional>
#include <memory>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

namespace boost::asio {
class io_context;
}

namespace redrund::net {

// Accepts connections on one address and hands each socket, already on a strand of its own, to
// `on_accept` (Beast chat-multi's listener). Thread affinity: open and bound before run; stop
// from any thread; the rest on the acceptor's strand.
class listener : public std::enable_shared_from_this<listener> {
 public:
  using accept_handler = std::function<void(boost::asio::ip::tcp::socket)>;

  listener(boost::asio::io_context& ioc, std::string name, accept_handler on_accept);

  // Binds and listens on "ADDR:PORT"; on failure `error` names the listener and the address.
  bool open(const std::string& address, std::string& error);
  std::string bound() const { return bound_; }
  void run();
  void stop();

 private:
  void do_accept();
  void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& ioc_;
  std::string name_;
  accept_handler on_accept_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;
  std::string bound_;
};

// Splits "host:port" / "[v6]:port"; false if the shape or the port number is wrong.
bool split_host_port(const std::string& address, std::string& host, std::string& port);

}  // namespace redrund::net
