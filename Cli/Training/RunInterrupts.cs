// Ctrl-C and SIGTERM during a training run. The first one does not kill the process: the run finishes the step it is
// in, writes a checkpoint, its metrics and its plot, says how to resume, and exits with 128 + the signal's number
// (130 for Ctrl-C, 143 for SIGTERM), as a shell expects of a process a signal ended. A second one ends the process at
// once, as the signal normally would.
using System.Runtime.InteropServices;

namespace DotGrad.Cli.Training;

/// <summary>Listens for Ctrl-C (SIGINT) and SIGTERM while a run trains; <see cref="Dispose"/> restores the default handling.</summary>
internal sealed class RunInterrupts : IDisposable
{
    private readonly PosixSignalRegistration[] _registrations;
    private int _signal;   // 0 until the first signal, then its number

    private RunInterrupts()
    {
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, context => OnSignal(context, 2)),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => OnSignal(context, 15)),
        ];
    }

    public static RunInterrupts Listen() => new();

    /// <summary>Whether a signal asked the run to stop after its current step.</summary>
    public bool Requested => Volatile.Read(ref _signal) != 0;

    /// <summary>The exit code of a run a signal stopped: 128 + the signal's number.</summary>
    public int ExitCode => 128 + Volatile.Read(ref _signal);

    /// <summary>The signal, as a user knows it.</summary>
    public string Name => Volatile.Read(ref _signal) == 2 ? "Ctrl-C (SIGINT)" : "SIGTERM";

    private void OnSignal(PosixSignalContext context, int number)
    {
        // The first signal is taken: the run stops at the end of its step. A second is left to its default action.
        if (Interlocked.CompareExchange(ref _signal, number, 0) == 0)
            context.Cancel = true;
    }

    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
    }
}
