// Text for a trained GPT's checkpoint: its character vocabulary and the prompts typed on the command line, shared by
// `dotgrad sample` and `dotgrad attention`.
using System.Text;
using DotGrad.Cli.Training;

namespace DotGrad.Cli.Tasks;

internal static class CheckpointText
{
    /// <summary>The checkpoint's characters: a text run keeps its vocabulary in run.json; the sort task's is fixed.</summary>
    public static CharVocab Vocabulary(RunState state, int vocabSize, string dir)
    {
        string? chars = state.Task["vocab"]?.GetValue<string>()
                        ?? (state.Task["name"]?.GetValue<string>() == SortTask.TaskName ? SortTask.VocabChars : null);
        if (chars is null) throw new UserError($"--checkpoint '{dir}': run.json has no vocabulary, so text cannot be turned into the model's tokens or back");
        try
        {
            var vocab = new CharVocab(chars);
            if (vocab.Size != vocabSize)
                throw new UserError($"--checkpoint '{dir}': the vocabulary has {vocab.Size} characters but the model {vocabSize} tokens");
            return vocab;
        }
        catch (ArgumentException e)
        {
            throw UserError.From($"--checkpoint '{dir}': the vocabulary in run.json is damaged", e);
        }
    }

    /// <summary>A prompt as typed: \n, \t and \\ are a newline, a tab and a backslash.</summary>
    public static string Unescape(string s)
    {
        var b = new StringBuilder(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && i + 1 < s.Length && s[i + 1] is 'n' or 't' or '\\')
            {
                b.Append(s[++i] switch { 'n' => '\n', 't' => '\t', _ => '\\' });
                continue;
            }
            b.Append(s[i]);
        }
        return b.ToString();
    }
}
