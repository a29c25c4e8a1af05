#include "bench/ws_echo_baseline.hpp"

#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

namespace redrund::bench {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using boost::system::error_code;
using tcp = asio::ip::tcp;

// One client: read a message, write it back, repeat; one strand, nothing else.
class echo_session : public std::enable_shared_from_this<echo_session> {
 public:
  explicit echo_session(tcp::socket socket) : ws_(std::move(socket)) {}

  void run() {
    ws_.async_accept([self = shared_from_this()](error_code ec) {
      if (!ec) self->do_read();
    });
  }

 private:
  void do_read() {
    ws_.async_read(buffer_, [self = shared_from_this()](error_code ec, std::size_t) {
      if (ec) return;
      self->ws_.text(self->ws_.got_text());
      self->ws_.async_write(self->buffer_.data(),
                            [self](error_code write_ec, std::size_t) {
                              if (write_ec) return;
                              self->buffer_.consume(self->buffer_.size());
                              self->do_read();
                            });
    });
  }

  websocket::stream<tcp::socket> ws_;
  beast::flat_buffer buffer_;
};

class echo_listener : public std::enable_shared_from_this<echo_listener> {
 public:
  echo_listener(asio::io_context& ioc, unsigned short port)
      : ioc_(ioc), acceptor_(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), port)) {}

  unsigned short port() const { return acceptor_.local_endpoint().port(); }

  void do_accept() {
    acceptor_.async_accept(asio::make_strand(ioc_),
                           [self = shared_from_this()](error_code ec, tcp::socket socket) {
                             if (ec) return;
                             socket.set_option(tcp::no_delay(true), ec);
                             std::make_shared<echo_session>(std::move(socket))->run();
                             self->do_accept();
                           });
  }

 private:
  asio::io_context& ioc_;
  tcp::acceptor acceptor_;
};

}  // namespace

void start_bare_ws_echo(asio::io_context& ioc, unsigned short& port) {
  auto listener = std::make_shared<echo_listener>(ioc, port);
  port = listener->port();
  listener->do_accept();
}

}  // namespace redrund::bench
