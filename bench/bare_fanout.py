"""`python -m bench.bare_fanout PORT`: the fan-out ceiling, a bare asyncio server.

Answers every connection with an SSE header and a snapshot, then, for each `fire` line
on stdin, writes one ticket-called-sized frame to every connection, in a loop, as the
display's hub does. What is left is the cost of the sockets and of our clients.
"""

from __future__ import annotations

import asyncio
import sys

FRAME = (
    b"event: ticket-called\nid: 00000000-0000-0000-0000-000000000000\ndata: "
    + b'{"pad":"'
    + b"x" * 1200
    + b'"}\n\n'
)


async def main(port: int) -> None:
    writers: list[asyncio.StreamWriter] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\n"
            b"event: snapshot\ndata: {}\n\n"
        )
        writers.append(writer)

    server = await asyncio.start_server(serve, "127.0.0.1", port, backlog=4096)
    loop = asyncio.get_running_loop()
    stdin = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    print("ready", flush=True)
    while line := await stdin.readline():
        if line.strip() == b"fire":
            for w in writers:
                w.write(FRAME)
    server.close()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
