#!/usr/bin/python3
"""A small OpenAI-compatible embeddings server for marketiq's TAP tests (standard library only).

    /usr/bin/python3 mock_openai.py PORTFILE [--max-requests N] [--lifetime SECONDS] [--port P]

Listens on 127.0.0.1 on a free port (or P), writes the port to PORTFILE, and serves

  POST /v1/embeddings   {"model": ..., "input": [texts], "dimensions"?: n}
      Each request takes the next behaviour of the script (see /control), or the default one:
        ok           200; for input i a vector of n floats (n = "dimensions", else 8):
                     [characters of the text, sum of its code points mod 997, i, 0.5, 0.5, ...];
                     "data" lists the vectors in reverse order, each with its "index"
        slow         the same after `delay` seconds
        429          429 with "Retry-After: 1"
        500          500 whose error message echoes the Authorization header it received
                     (the client must not repeat the key)
        401          401 invalid key
        wrong_dim    200 with vectors of n + 1 floats
        wrong_count  200 with one vector fewer than inputs
        bad_json     200 with a body that is not JSON
  POST /control         {"script": [behaviours...], "default": behaviour, "delay": seconds}
  GET  /requests        the requests received so far: [{"authorization": ..., "body": ...}]
  POST /reset           forget the requests, default "ok", empty script

It exits after --max-requests requests (default 1000) or --lifetime seconds (default 600), so a
test that dies cannot leave it running.
"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

state = {'script': [], 'default': 'ok', 'delay': 0.0, 'requests': [], 'served': 0}
lock = threading.Lock()
args = sys.argv[1:]
portfile = args[0]
max_requests = int(args[args.index('--max-requests') + 1]) if '--max-requests' in args else 1000
lifetime = float(args[args.index('--lifetime') + 1]) if '--lifetime' in args else 600.0
port = int(args[args.index('--port') + 1]) if '--port' in args else 0


def vector(text, i, n):
    v = [float(len(text)), float(sum(ord(c) for c in text) % 997), float(i)] + [0.5] * max(0, n - 3)
    return v[:n]


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, fmt, *a):
        pass

    def reply(self, code, obj=None, raw=None, headers=None):
        body = raw if raw is not None else json.dumps(obj).encode()
        self.send_response(code)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def read_body(self):
        n = int(self.headers.get('Content-Length', '0'))
        return self.rfile.read(n) if n else b''

    def do_GET(self):
        if self.path == '/requests':
            with lock:
                self.reply(200, state['requests'])
        else:
            self.reply(404, {'error': {'message': 'not found'}})

    def do_POST(self):
        raw = self.read_body()
        if self.path == '/control':
            c = json.loads(raw)
            with lock:
                state['script'] = list(c.get('script', []))
                state['default'] = c.get('default', state['default'])
                state['delay'] = float(c.get('delay', state['delay']))
            self.reply(200, {'ok': True})
            return
        if self.path == '/reset':
            with lock:
                state.update(script=[], default='ok', delay=0.0, requests=[])
            self.reply(200, {'ok': True})
            return
        if self.path != '/v1/embeddings':
            self.reply(404, {'error': {'message': 'no such endpoint %s' % self.path}})
            return
        auth = self.headers.get('Authorization')
        try:
            req = json.loads(raw)
        except ValueError:
            req = None
        with lock:
            state['served'] += 1
            state['requests'].append({'authorization': auth, 'body': req})
            behaviour = state['script'].pop(0) if state['script'] else state['default']
            delay = state['delay']
        if req is None or not isinstance(req.get('input'), list):
            self.reply(400, {'error': {'message': 'input must be a list'}})
            return
        texts = req['input']
        n = req.get('dimensions', 8)
        if behaviour == 'slow':
            time.sleep(delay)
            behaviour = 'ok'
        if behaviour == '429':
            self.reply(429, {'error': {'message': 'rate limited, slow down'}}, headers={'Retry-After': '1'})
        elif behaviour == '500':
            self.reply(500, {'error': {'message': 'internal error while serving %s' % auth}})
        elif behaviour == '401':
            self.reply(401, {'error': {'message': 'invalid api key'}})
        elif behaviour == 'bad_json':
            self.reply(200, raw=b'{"data": [1, 2')
        else:
            data = [{'object': 'embedding', 'index': i,
                     'embedding': vector(t, i, n + 1 if behaviour == 'wrong_dim' else n)}
                    for i, t in enumerate(texts)]
            if behaviour == 'wrong_count':
                data = data[:-1]
            data.reverse()
            self.reply(200, {'object': 'list', 'data': data, 'model': req.get('model'),
                             'usage': {'prompt_tokens': 0, 'total_tokens': 0}})
        with lock:
            done = state['served'] >= max_requests
        if done:
            threading.Thread(target=self.server.shutdown, daemon=True).start()


def main():
    server = ThreadingHTTPServer(('127.0.0.1', port), Handler)
    server.daemon_threads = True
    with open(portfile + '.tmp', 'w') as f:
        f.write(str(server.server_address[1]))
    import os
    os.rename(portfile + '.tmp', portfile)
    timer = threading.Timer(lifetime, server.shutdown)
    timer.daemon = True
    timer.start()
    server.serve_forever()


if __name__ == '__main__':
    main()
