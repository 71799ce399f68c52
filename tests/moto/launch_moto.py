"""Runs moto's server in-process on 127.0.0.1:<port> for `npm run test:apply`.

Usage: python3 tests/moto/launch_moto.py <port> <request-log.jsonl>

Every request moto receives is appended to the log as {service, target, path, method, body} so the
driver can check it against botocore's models (moto accepts values AWS refuses). Patches for moto
5.2.1 gaps that the applies hit are below, each with the AWS rule it restores; nothing else is
changed, and the module is never bent to suit moto.
"""
import json
import sys
import threading

from moto.server import ThreadedMotoServer


def patch_lambda_logging_config():
    # AWS stores LoggingConfig (LogFormat, LogGroup) and returns it from GetFunction(Configuration);
    # moto 5.2.1 drops it, so every plan after apply shows a logging_config diff.
    from moto.awslambda import models

    original_init = models.LambdaFunction.__init__

    def init(self, account_id, spec, region, version="1"):
        original_init(self, account_id, spec, region, version)
        self.logging_config = spec.get("LoggingConfig") or {
            "LogFormat": "Text",
            "LogGroup": f"/aws/lambda/{self.function_name}",
        }

    original_get_configuration = models.LambdaFunction.get_configuration

    def get_configuration(self, *args, **kwargs):
        config = original_get_configuration(self, *args, **kwargs)
        config["LoggingConfig"] = self.logging_config
        return config

    original_update = models.LambdaFunction.update_configuration

    def update_configuration(self, config_updates):
        if "LoggingConfig" in config_updates:
            self.logging_config = config_updates["LoggingConfig"]
        return original_update(self, config_updates)

    models.LambdaFunction.__init__ = init
    models.LambdaFunction.get_configuration = get_configuration
    models.LambdaFunction.update_configuration = update_configuration


def patch_codebuild_no_source():
    # AWS accepts source type NO_SOURCE without a location (the buildspec comes inline);
    # moto 5.2.1 refuses CreateProject for it.
    from moto.codebuild import responses

    original = responses._validate_required_params_source

    def validate(source):
        if source.get("type") == "NO_SOURCE":
            return
        original(source)

    responses._validate_required_params_source = validate


def patch_ecs_fargate_task_level_size():
    # AWS: with the Fargate launch type, a container's memory is optional when the task definition
    # sets task-level cpu and memory (ContainerDefinition.memory, ECS API reference); the task is
    # sized by those. moto 5.2.1 sums the containers' memory and fails RunTask with a 500 when a
    # container has none, as the module's runner container does.
    from types import SimpleNamespace

    from moto.ecs import models

    original = models.EC2ContainerServiceBackend._calculate_task_resource_requirements

    def calculate(task_definition):
        if not task_definition.memory:
            return original(task_definition)
        containers = [dict(c, memory=c.get("memory") or c.get("memoryReservation") or 0) for c in task_definition.container_definitions]
        requirements = original(SimpleNamespace(container_definitions=containers))
        requirements["MEMORY"] = int(task_definition.memory)
        if task_definition.cpu:
            requirements["CPU"] = int(task_definition.cpu)
        return requirements

    models.EC2ContainerServiceBackend._calculate_task_resource_requirements = staticmethod(calculate)


def record_requests(log_path):
    # Wrap moto's dispatch so every request is written down before moto answers it.
    from moto.core import botocore_stubber  # noqa: F401  (ensures moto.core is loaded)
    from moto.moto_server import werkzeug_app

    lock = threading.Lock()
    original_call = werkzeug_app.DomainDispatcherApplication.__call__

    def call(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        import io

        environ["wsgi.input"] = io.BytesIO(body)
        auth = environ.get("HTTP_AUTHORIZATION", "")
        service = auth.split("/")[3] if auth.count("/") >= 4 else ""
        entry = {
            "service": service,
            "target": environ.get("HTTP_X_AMZ_TARGET", ""),
            "method": environ.get("REQUEST_METHOD"),
            "path": environ.get("PATH_INFO"),
            "query": environ.get("QUERY_STRING", ""),
            "contentType": environ.get("CONTENT_TYPE", ""),
            "body": body.decode("utf-8", "replace"),
        }
        with lock, open(log_path, "a", encoding="utf-8") as log:
            log.write(json.dumps(entry) + "\n")
        return original_call(self, environ, start_response)

    werkzeug_app.DomainDispatcherApplication.__call__ = call


def main():
    port = int(sys.argv[1])
    log_path = sys.argv[2]
    patch_lambda_logging_config()
    patch_codebuild_no_source()
    patch_ecs_fargate_task_level_size()
    record_requests(log_path)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    print(f"moto listening on 127.0.0.1:{port}", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
