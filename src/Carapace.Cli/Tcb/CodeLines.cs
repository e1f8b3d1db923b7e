namespace Carapace.Cli.Tcb;

/// <summary>
/// Counts the lines of C# source that hold code: lines with at least one character that is neither white space nor
/// part of a comment (<c>//</c>, <c>///</c>, <c>/* … */</c>). String and character literals are code, so a <c>//</c>
/// inside a string does not start a comment; interpolated, verbatim and raw strings (with their interpolation holes) are
/// followed exactly enough for that. Preprocessor lines count as code.
/// </summary>
internal sealed class CodeLines
{
    private readonly string _text;
    private int _pos;
    private bool _lineHasCode;
    private int _count;

    private CodeLines(string text) => _text = text;

    /// <summary>The number of lines of <paramref name="text"/> that hold code.</summary>
    public static int Count(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var counter = new CodeLines(text);
        counter.Code(closeBraces: 0);
        counter.EndLine();
        return counter._count;
    }

    private bool AtEnd => _pos >= _text.Length;

    private char Peek(int ahead = 0) => _pos + ahead < _text.Length ? _text[_pos + ahead] : '\0';

    private void Take(bool code)
    {
        var c = _text[_pos++];
        if (c == '\n')
        {
            EndLine();
        }
        else if (code && !char.IsWhiteSpace(c))
        {
            _lineHasCode = true;
        }
    }

    private void EndLine()
    {
        if (_lineHasCode)
        {
            _count++;
        }

        _lineHasCode = false;
    }

    /// <summary>Code up to the end, or, inside an interpolation hole (<paramref name="closeBraces"/> &gt; 0), up to and including its closing braces.</summary>
    private void Code(int closeBraces)
    {
        var depth = 0;
        while (!AtEnd)
        {
            var c = Peek();
            if (c == '/' && Peek(1) == '/')
            {
                while (!AtEnd && Peek() != '\n')
                {
                    Take(code: false);
                }
            }
            else if (c == '/' && Peek(1) == '*')
            {
                BlockComment();
            }
            else if (c == '\'')
            {
                CharLiteral();
            }
            else if (c is '"' or '@' or '$' && TryString())
            {
                // The string and its holes are consumed.
            }
            else if (closeBraces > 0 && c == '{')
            {
                depth++;
                Take(code: true);
            }
            else if (closeBraces > 0 && c == '}' && depth == 0)
            {
                for (var i = 0; i < closeBraces && Peek() == '}'; i++)
                {
                    Take(code: true);
                }

                return;
            }
            else
            {
                if (closeBraces > 0 && c == '}')
                {
                    depth--;
                }

                Take(code: true);
            }
        }
    }

    private void BlockComment()
    {
        Take(code: false);
        Take(code: false);
        while (!AtEnd && !(Peek() == '*' && Peek(1) == '/'))
        {
            Take(code: false);
        }

        if (!AtEnd)
        {
            Take(code: false);
            Take(code: false);
        }
    }

    private void CharLiteral()
    {
        Take(code: true);
        while (!AtEnd && Peek() is not ('\'' or '\n'))
        {
            if (Peek() == '\\' && Peek(1) != '\n')
            {
                Take(code: true);
            }

            Take(code: true);
        }

        if (Peek() == '\'')
        {
            Take(code: true);
        }
    }

    /// <summary>Consumes a string literal starting here (any of <c>"</c>, <c>@"</c>, <c>$"</c>, <c>$@"</c>, <c>@$"</c>, <c>"""</c>, <c>$$"""</c>); false when none starts here.</summary>
    private bool TryString()
    {
        var p = _pos;
        var dollars = 0;
        var verbatim = false;
        while (p < _text.Length && _text[p] is '$' or '@')
        {
            if (_text[p] == '@')
            {
                if (verbatim)
                {
                    return false;
                }

                verbatim = true;
            }
            else
            {
                dollars++;
            }

            p++;
        }

        if (p >= _text.Length || _text[p] != '"')
        {
            return false;
        }

        var quotes = 0;
        while (p + quotes < _text.Length && _text[p + quotes] == '"')
        {
            quotes++;
        }

        while (_pos < p)
        {
            Take(code: true);
        }

        if (quotes >= 3 && !verbatim)
        {
            RawString(quotes, dollars);
        }
        else
        {
            QuotedString(verbatim, interpolated: dollars > 0);
        }

        return true;
    }

    private void QuotedString(bool verbatim, bool interpolated)
    {
        Take(code: true);
        while (!AtEnd)
        {
            var c = Peek();
            if (!verbatim && c == '\n')
            {
                return; // An unterminated regular string ends at its line; the compiler would have refused it.
            }

            if (!verbatim && c == '\\')
            {
                Take(code: true);
                if (!AtEnd && Peek() != '\n')
                {
                    Take(code: true);
                }
            }
            else if (c == '"')
            {
                Take(code: true);
                if (!verbatim || Peek() != '"')
                {
                    return;
                }

                Take(code: true); // "" inside a verbatim string
            }
            else if (interpolated && c == '{' && Peek(1) == '{')
            {
                Take(code: true);
                Take(code: true);
            }
            else if (interpolated && c == '{')
            {
                Take(code: true);
                Code(closeBraces: 1);
            }
            else
            {
                Take(code: true);
            }
        }
    }

    private void RawString(int quotes, int dollars)
    {
        for (var i = 0; i < quotes; i++)
        {
            Take(code: true);
        }

        while (!AtEnd)
        {
            var run = Run(Peek());
            if (Peek() == '"' && run >= quotes)
            {
                for (var i = 0; i < run; i++)
                {
                    Take(code: true);
                }

                return;
            }

            if (dollars > 0 && Peek() == '{' && run >= dollars)
            {
                for (var i = 0; i < run; i++)
                {
                    Take(code: true);
                }

                Code(closeBraces: dollars);
            }
            else
            {
                for (var i = 0; i < Math.Max(run, 1); i++)
                {
                    Take(code: true);
                }
            }
        }
    }

    private int Run(char c)
    {
        var n = 0;
        while (_pos + n < _text.Length && _text[_pos + n] == c)
        {
            n++;
        }

        return n;
    }
}
