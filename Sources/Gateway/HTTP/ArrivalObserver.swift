import NIOCore

/// Sits before the request decoder and tells the exchange handler when bytes arrive, so that the head timeout of a
/// kept-alive connection counts from its next request's first bytes, not from the end of the previous answer.
final class ArrivalObserver: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let exchange: ExchangeHandler

    init(_ exchange: ExchangeHandler) {
        self.exchange = exchange
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        exchange.bytesArrived()
        context.fireChannelRead(data)
    }
}
