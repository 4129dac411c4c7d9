-- wrk script: POST a login body.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"username":"bench_user_4","password":"admin"}'
