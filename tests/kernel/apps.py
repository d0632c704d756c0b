from django.apps import AppConfig


class KernelTestsConfig(AppConfig):
    """A concrete record type used only by the tests of the shared kernel."""

    name = "tests.kernel"
    label = "kernel_tests"
