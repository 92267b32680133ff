// The realtime floor: the least a Durable Object can do to push one frame to every socket of a
// room, with the same hibernation API that Ponte's TenantHub uses. The bench measures Ponte's
// fan-out against this one, in the same run on the same runtime.
export class Room {
  constructor(ctx) {
    this.ctx = ctx;
  }

  async fetch(request) {
    if (new URL(request.url).pathname === "/connect") {
      const [client, server] = Object.values(new WebSocketPair());
      this.ctx.acceptWebSocket(server);
      server.send('{"type":"ready","seq":0}');
      return new Response(null, { status: 101, webSocket: client });
    }
    const frame = await request.text();
    for (const socket of this.ctx.getWebSockets()) socket.send(frame);
    return new Response(null, { status: 204 });
  }

  webSocketMessage() {}

  webSocketClose(socket) {
    socket.close();
  }
}

export default {
  fetch(request, env) {
    return env.ROOM.get(env.ROOM.idFromName("bench")).fetch(request);
  },
};
